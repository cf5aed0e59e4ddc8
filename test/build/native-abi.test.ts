// The packaging ABI guard, with fake addon binaries of each ABI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterPackAbiGuard, checkAddonAbi, checkPackedAddons, describeAbi, electronAbi, isNapiAddon, readNodeModuleVersions, SKIP_ENV } from '../../build/native-abi.mjs';

const ELECTRON_VERSION = JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')).version as string;
const ELECTRON_ABI = Number(readFileSync('node_modules/electron/abi_version', 'utf8').trim());

/** Bytes shaped like a NAN addon: ELF magic, some noise, the registration symbol in a string table. */
function fakeAddon(symbolPrefix: string, abi: number | null): Buffer {
  const parts = [Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64, 0xab)];
  if (abi !== null) parts.push(Buffer.from(`\0${symbolPrefix}node_register_module_v${abi}\0`, 'latin1'));
  parts.push(Buffer.from('\0_ZN2v87Isolate10GetCurrentEv\0sqlite3_open_v2\0', 'latin1'), Buffer.alloc(32, 0));
  return Buffer.concat(parts);
}

test('Electron 41 is NODE_MODULE_VERSION 145; Node 20 is 115', () => {
  assert.equal(ELECTRON_VERSION.split('.')[0], '41');
  assert.equal(electronAbi(ELECTRON_VERSION), 145);
  assert.equal(ELECTRON_ABI, 145);
  assert.equal(Number(process.versions.modules), 115);
  assert.match(describeAbi(145), /Electron 41/);
  assert.match(describeAbi(115), /Node 20/);
  assert.throws(() => electronAbi('999.0.0'), /Cannot tell/);
});

test('reads the ABI from ELF, Mach-O and PE style symbol names', () => {
  assert.deepEqual(readNodeModuleVersions(fakeAddon('', 115)), [115]);
  assert.deepEqual(readNodeModuleVersions(fakeAddon('_', 145)), [145]); // Mach-O leading underscore
  assert.deepEqual(readNodeModuleVersions(fakeAddon('', 1450)), [1450]);
  assert.deepEqual(readNodeModuleVersions(fakeAddon('', null)), []);
  assert.deepEqual(readNodeModuleVersions(Buffer.concat([fakeAddon('', 115), fakeAddon('', 145)])), [115, 145]);
});

test('a Node-ABI binary fails the guard for Electron, an Electron-ABI one passes', () => {
  const node = checkAddonAbi(fakeAddon('', 115), 145, 'better_sqlite3.node');
  assert.equal(node.ok, false);
  assert.match(node.message, /NODE_MODULE_VERSION 115.*Electron needs 145/);
  assert.equal(checkAddonAbi(fakeAddon('', 145), 145).ok, true);
  assert.equal(checkAddonAbi(fakeAddon('', 144), 145).ok, false);
  assert.equal(checkAddonAbi(Buffer.concat([fakeAddon('', 115), fakeAddon('', 145)]), 145).ok, false, 'two ABIs in one file');
  assert.equal(checkAddonAbi(fakeAddon('', null), 145).ok, false, 'not an addon');
  const napi = Buffer.concat([fakeAddon('', null), Buffer.from('\0napi_register_module_v1\0')]);
  assert.equal(isNapiAddon(napi), true);
  assert.equal(checkAddonAbi(napi, 145).ok, true);
});

test('the real better_sqlite3.node installed here is a Node 20 build', () => {
  const bytes = readFileSync('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  assert.deepEqual(readNodeModuleVersions(bytes), [Number(process.versions.modules)]);
  assert.equal(checkAddonAbi(bytes, ELECTRON_ABI).ok, false);
});

function packedApp(files: Record<string, Buffer>) {
  const appOutDir = mkdtempSync(join(tmpdir(), 'fw-abi-'));
  const resources = join(appOutDir, 'resources');
  for (const [rel, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(resources, rel)), { recursive: true });
    writeFileSync(join(resources, rel), bytes);
  }
  const context = {
    appOutDir,
    packager: { config: { electronVersion: ELECTRON_VERSION }, projectDir: process.cwd(), getResourcesDir: (out: string) => join(out, 'resources') },
  };
  return { context, resources, cleanup: () => rmSync(appOutDir, { recursive: true, force: true }) };
}

const SQLITE = 'app.asar.unpacked/node_modules/better-sqlite3/build/Release/better_sqlite3.node';
const SHARP = 'app.asar.unpacked/node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node';

test('afterPack guard: fails the build on a Node-ABI addon, passes an Electron-ABI one', async () => {
  const napi = Buffer.concat([fakeAddon('', null), Buffer.from('\0napi_register_module_v1\0')]);
  const bad = packedApp({ [SQLITE]: fakeAddon('', 115), [SHARP]: napi });
  const good = packedApp({ [SQLITE]: fakeAddon('', ELECTRON_ABI), [SHARP]: napi });
  const missing = packedApp({ [SHARP]: napi });
  try {
    const logs: string[] = [];
    await assert.rejects(afterPackAbiGuard(bad.context, { env: {}, log: (m) => logs.push(m) }), /better_sqlite3\.node: built for NODE_MODULE_VERSION 115[\s\S]*install-app-deps/);
    const report = await afterPackAbiGuard(good.context, { env: {}, log: (m) => logs.push(m) });
    assert.equal(report.ok, true);
    assert.equal(report.results.length, 2);
    await assert.rejects(afterPackAbiGuard(missing.context, { env: {}, log: () => {} }), /better_sqlite3\.node: not found/);
    assert.equal(checkPackedAddons(bad.resources, ELECTRON_ABI).ok, false);
  } finally {
    bad.cleanup();
    good.cleanup();
    missing.cleanup();
  }
});

test('afterPack guard: skipped with a clear message when asked, without hiding what it found', async () => {
  const bad = packedApp({ [SQLITE]: fakeAddon('', 115) });
  try {
    const logs: string[] = [];
    const report = await afterPackAbiGuard(bad.context, { env: { [SKIP_ENV]: 'offline check' }, log: (m) => logs.push(m) });
    assert.equal(report.ok, false);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /SKIPPED the native ABI guard \(FIELDWORK_SKIP_ABI_CHECK=offline check\)/);
    assert.match(logs[0], /BAD .*NODE_MODULE_VERSION 115/);
  } finally {
    bad.cleanup();
  }
});
