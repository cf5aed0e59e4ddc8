// The electron-builder configuration and the stand-in Electron used by the offline check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUSE_SENTINEL, LINUX_X64_FILES, makeFakeElectronDist } from '../../build/fake-electron.mjs';

const require = createRequire(import.meta.url);
const config = require('../../build/electron-builder.config.cjs');
const { cliOnlyPackages, dependencyClosure } = require('../../build/trainer-packages.cjs');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

test('identity, targets and icon', () => {
  assert.equal(config.appId, 'org.fieldwork.app');
  assert.equal(config.productName, 'Fieldwork');
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.win.target, [{ target: 'nsis', arch: ['x64'] }]);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.equal(config.icon, 'resources/icon.png');
  assert.ok(existsSync(config.icon));
  const png = readFileSync(config.icon);
  assert.equal(png.readUInt32BE(16), 512);
  assert.equal(png.readUInt32BE(20), 512);
});

test('the app files: bundles, renderer build, trainer bundle; never tests, source maps or TypeScript sources', () => {
  for (const p of ['package.json', 'dist/electron/**', 'renderer/dist/**', 'dist/trainer/**', '!**/*.map', '!**/*.test.{ts,js,mjs}']) assert.ok(config.files.includes(p), p);
  assert.ok(!config.files.includes('trainer/**'), 'the trainer ships as its bundle, not as sources');
  assert.equal(pkg.main, 'dist/electron/main/index.js');
  assert.equal(pkg.type, 'module');
  assert.equal(config.asar, true);
});

test('trainer bundle, WASM binaries and the trainer runtime packages are unpacked', () => {
  assert.ok(config.asarUnpack.includes('dist/trainer/**'));
  assert.ok(config.asarUnpack.includes('node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm'));
  const closure: string[] = dependencyClosure();
  for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'sharp', 'seedrandom', 'long']) {
    assert.ok(closure.includes(name), name);
    assert.ok(config.asarUnpack.includes(`node_modules/${name}/**`), name);
  }
  // tfjs-node-gpu counts where it installed, and only there.
  assert.equal(closure.includes('@tensorflow/tfjs-node-gpu'), existsSync('node_modules/@tensorflow/tfjs-node-gpu/package.json'));
  assert.ok(!closure.some((n) => n.startsWith('@types/')));
});

test('tsx (and esbuild, which only it needs) is left out of the packaged app; the command lines keep it', () => {
  const notShipped: string[] = cliOnlyPackages();
  assert.ok(notShipped.includes('tsx') && notShipped.includes('esbuild'), notShipped.join());
  for (const name of notShipped) assert.ok(config.files.includes(`!node_modules/${name}/**`), name);
  assert.ok(!dependencyClosure().includes('tsx'), 'the trainer no longer loads tsx');
  assert.ok(pkg.dependencies.tsx, 'bin/fieldwork.js and bin/fieldwork-train.js still run through tsx');
  // Nothing the app loads at run time is left out.
  for (const name of [...dependencyClosure(), 'better-sqlite3', 'ws', 'yaml', 'fast-xml-parser']) assert.ok(!notShipped.includes(name), name);
});

test('native rebuild on, ABI guard after packing, fuses set', () => {
  assert.equal(config.npmRebuild, true);
  assert.equal(typeof config.afterPack, 'function');
  assert.equal(config.electronFuses.runAsNode, false);
  assert.equal(config.electronFuses.enableEmbeddedAsarIntegrityValidation, true);
  assert.equal(config.electronFuses.onlyLoadAppFromAsar, true);
  assert.equal(config.electronFuses.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(config.electronFuses.enableNodeCliInspectArguments, false);
  assert.equal(config.electronFuses.grantFileProtocolExtraPrivileges, false);
  assert.equal(config.build, undefined);
  assert.equal(pkg.build, undefined, 'electron-builder config lives in build/, not package.json');
});

test('the stand-in Electron has the linux-x64 file names and a fuse wire', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-fake-electron-'));
  try {
    makeFakeElectronDist(dir, '41.7.1');
    for (const f of [...LINUX_X64_FILES, 'electron', 'version', 'resources']) assert.ok(existsSync(join(dir, f)), f);
    assert.ok(statSync(join(dir, 'electron')).mode & 0o100);
    const bin = readFileSync(join(dir, 'electron'));
    const at = bin.indexOf(FUSE_SENTINEL);
    assert.ok(at > 0);
    assert.equal(bin[at + FUSE_SENTINEL.length], 1, 'fuse wire version');
    assert.equal(bin[at + FUSE_SENTINEL.length + 1], 8, 'fuse count');
    assert.equal(readFileSync(join(dir, 'version'), 'utf8'), '41.7.1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
