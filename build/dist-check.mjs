#!/usr/bin/env node
// Offline packaging check (`npm run dist:check`, CI): packs the app for linux-x64 in --dir mode against a
// stand-in Electron (build/fake-electron.mjs; electronDist = a folder), then opens the result:
//   - app.asar holds package.json, the main bundle, the preload and the whole renderer build;
//   - the trainer bundle (build/bundle-trainer.mjs) and its runtime packages are unpacked, no TypeScript and no
//     tsx are packed, the bundle's imports resolve inside app.asar.unpacked (tfjs, its .wasm files for
//     wasmDir()); the bundle, started as the app starts it (dist/trainer/utility-entry.mjs, which the app forks as
//     a utilityProcess) under plain Node from a folder outside the repo, trains a tiny synthetic run to the end
//     with a data-parallel worker thread, both on tfjs' threaded WASM build, and exits;
//   - no dev-only dependency, test file, fixture, source map or source folder is packed;
//   - the configured Electron fuses were flipped in the executable: RunAsNode off, ASAR integrity on, only app.asar;
//   - sizes.
// The native ABI guard is skipped with a message: this machine cannot fetch Electron headers, so the Node-ABI
// better-sqlite3 is packed on purpose (the guard has its own unit test, test/build/native-abi.test.ts).
// Usage: node build/dist-check.mjs [--skip-renderer-build] [--keep]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleElectron } from './bundle-electron.mjs';
import { TRAINER_BUNDLE_FILES, bundleTrainer } from './bundle-trainer.mjs';
import { makeFakeElectronDist } from './fake-electron.mjs';
import { SKIP_ENV } from './native-abi.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const args = new Set(process.argv.slice(2));
const started = Date.now();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version;
const config = require('./electron-builder.config.cjs');
const { cliOnlyPackages, dependencyClosure, TRAINER_ROOTS } = require('./trainer-packages.cjs');

const failures = [];
const check = (ok, message) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
  return ok;
};
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const step = (name) => console.log(`\n== ${name} (${((Date.now() - started) / 1000).toFixed(0)}s)`);
function run(cmd, argv, options = {}) {
  const result = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${result.status ?? result.signal}`);
  return result;
}
function walkFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walkFiles(path));
    else out.push(path);
  }
  return out;
}
const sizeOf = (dir) => walkFiles(dir).reduce((n, f) => n + statSync(f).size, 0);

const work = mkdtempSync(join(tmpdir(), 'fieldwork-dist-check-'));
try {
  step('renderer build (vite build)');
  if (args.has('--skip-renderer-build') && existsSync(join(root, 'renderer/dist/index.html'))) console.log('  skipped: --skip-renderer-build and renderer/dist exists');
  else run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn']);

  step('electron and trainer bundles (build/bundle-electron.mjs, build/bundle-trainer.mjs)');
  await bundleElectron({ quiet: true });
  await bundleTrainer({ quiet: true });

  step(`package linux-x64 --dir against a stand-in Electron ${electronVersion}`);
  const fakeDist = makeFakeElectronDist(join(work, 'electron-dist'), electronVersion);
  const out = join(work, 'release');
  const skipReason = 'offline check: Electron headers cannot be fetched here, so the Node-ABI better_sqlite3.node is packed on purpose';
  run(process.execPath, [
    join(root, 'node_modules/electron-builder/cli.js'),
    '--linux', 'dir', '--x64',
    '-c', 'build/electron-builder.config.cjs',
    `-c.electronDist=${fakeDist}`,
    '-c.npmRebuild=false',
    `-c.directories.output=${out}`,
    '--publish', 'never',
  ], { env: { ...process.env, [SKIP_ENV]: skipReason } });

  const appOut = join(out, 'linux-unpacked');
  const resources = join(appOut, 'resources');
  const asarPath = join(resources, 'app.asar');
  const unpacked = join(resources, 'app.asar.unpacked');

  step('app layout');
  check(existsSync(join(appOut, config.executableName)) && !existsSync(join(appOut, 'electron')), `executable renamed to ${config.executableName}`);
  check(existsSync(asarPath), 'resources/app.asar exists');
  check(!existsSync(join(resources, 'app')), 'no unpacked resources/app folder (asar is on)');
  check(existsSync(join(resources, 'icon.png')) && existsSync(join(resources, 'demo')), 'resources/ copied next to app.asar (icon.png, demo/) for process.resourcesPath');

  step('app.asar contents');
  const asar = require('@electron/asar');
  const entries = asar.listPackage(asarPath, { isPack: false }).map((e) => e.split(sep).join('/'));
  const files = new Set(entries);
  const packedPkg = JSON.parse(asar.extractFile(asarPath, 'package.json').toString('utf8'));
  check(packedPkg.main === 'dist/electron/main/index.js' && files.has('/dist/electron/main/index.js'), `package.json main (${packedPkg.main}) is packed`);
  check(files.has('/dist/electron/preload.cjs'), 'preload dist/electron/preload.cjs is packed');
  check(['/dist/electron/gpu-host/index.html', '/dist/electron/gpu-host/page.js', '/dist/electron/gpu-host-preload.cjs'].every((f) => files.has(f)), 'the GPU host page (dist/electron/gpu-host) and its preload are packed');
  const rendererFiles = walkFiles(join(root, 'renderer/dist')).map((f) => '/' + relative(root, f).split(sep).join('/')).filter((f) => !f.endsWith('.map'));
  const missingRenderer = rendererFiles.filter((f) => !files.has(f));
  check(rendererFiles.length > 0 && missingRenderer.length === 0, `renderer build packed: ${rendererFiles.length - missingRenderer.length}/${rendererFiles.length} files of renderer/dist${missingRenderer.length ? ` (missing ${missingRenderer.slice(0, 3).join(', ')})` : ''}`);
  const unpackedInHeader = (p) => {
    try {
      return Boolean(asar.statFile(asarPath, p.replace(/^\//, '')).unpacked);
    } catch {
      return false;
    }
  };
  check(!unpackedInHeader('dist/electron/main/index.js') && !unpackedInHeader('renderer/dist/index.html'), 'main and renderer are inside the archive, not unpacked');

  step('nothing that should not ship');
  const prodClosure = new Set(dependencyClosure([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]));
  const devOnly = Object.keys(pkg.devDependencies ?? {}).filter((d) => !prodClosure.has(d));
  const packedDev = devOnly.filter((d) => [...files].some((f) => f.startsWith(`/node_modules/${d}/`)) || existsSync(join(unpacked, 'node_modules', d)));
  check(packedDev.length === 0, `no dev-only dependency packed (checked ${devOnly.length}: ${devOnly.join(', ')})${packedDev.length ? ` — found ${packedDev.join(', ')}` : ''}`);
  const shared = Object.keys(pkg.devDependencies ?? {}).filter((d) => prodClosure.has(d));
  if (shared.length) console.log(`       (also devDependencies but needed at run time by a dependency: ${shared.join(', ')})`);
  const forbidden = [
    [/^\/(test|bench|build|\.tmp|\.ci|\.git|release|resources|bin)\//, 'repo folders that are not the app'],
    [/^\/(electron|renderer\/src)\//, 'sources that the bundles replace'],
    [/\.test\.(ts|js|mjs)$/, 'test files'],
    [/\/(fixtures|__tests__)\//, 'test fixtures'],
    [/\.map$/, 'source maps'],
    [/^\/node_modules\/\.bin\//, 'node_modules/.bin'],
    [/^\/node_modules\/better-sqlite3\/(deps|src)\//, 'SQLite sources'],
    [/^\/node_modules\/better-sqlite3\/build\/Release\/(obj|obj\.target|test_extension)/, 'better-sqlite3 build leftovers'],
  ];
  for (const [pattern, what] of forbidden) {
    const hits = entries.filter((e) => pattern.test(e) && !entries.some((x) => x.startsWith(e + '/')));
    check(hits.length === 0, `no ${what}${hits.length ? ` — ${hits.length} found, e.g. ${hits.slice(0, 3).join(', ')}` : ''}`);
  }

  step('the bundled trainer and the WASM binaries, unpacked where the trainer looks for them');
  // The app forks dist/trainer/utility-entry.mjs (electron/main/trainer-launcher.ts): the bundles built above,
  // unpacked byte for byte, and no TypeScript source of the trainer packed anywhere.
  const bundleSrc = join(root, 'dist/trainer');
  const bundleDest = join(unpacked, 'dist/trainer');
  const badBundle = TRAINER_BUNDLE_FILES.filter((f) => !existsSync(join(bundleDest, f)) || readFileSync(join(bundleDest, f)).compare(readFileSync(join(bundleSrc, f))) !== 0);
  check(badBundle.length === 0, `dist/trainer/{${TRAINER_BUNDLE_FILES.join(',')}} unpacked, the same bytes as built${badBundle.length ? ` (missing or different: ${badBundle.join(', ')})` : ''}`);
  check(unpackedInHeader('dist/trainer/utility-entry.mjs') && unpackedInHeader('dist/trainer/worker-entry.mjs'), 'the trainer bundle is outside the archive (a utility process and its worker threads load real files)');
  const tsPacked = [...entries.filter((e) => /\.(ts|mts|cts)$/.test(e) && !/\.d\.[mc]?ts$/.test(e)), ...walkFiles(unpacked).map((f) => '/' + relative(unpacked, f).split(sep).join('/')).filter((e) => /\.(ts|mts|cts)$/.test(e) && !/\.d\.[mc]?ts$/.test(e))];
  check(tsPacked.length === 0 && !files.has('/trainer/cli.ts') && !existsSync(join(unpacked, 'trainer')), `no TypeScript source packed, no trainer/ folder${tsPacked.length ? ` — found ${tsPacked.slice(0, 3).join(', ')}` : ''}`);
  const cliOnly = cliOnlyPackages();
  const cliOnlyPacked = cliOnly.filter((d) => [...files].some((f) => f.startsWith(`/node_modules/${d}/`)) || existsSync(join(unpacked, 'node_modules', d)));
  check(cliOnly.includes('tsx') && cliOnlyPacked.length === 0, `tsx is not packed, nor what only it needs (checked ${cliOnly.join(', ')})${cliOnlyPacked.length ? ` — found ${cliOnlyPacked.join(', ')}` : ''}`);
  const bundleText = TRAINER_BUNDLE_FILES.map((f) => (existsSync(join(bundleDest, f)) ? readFileSync(join(bundleDest, f), 'utf8') : '')).join('\n');
  check(!/["']tsx(\/[^"']*)?["']/.test(bundleText) && !/(from |import\()["'][^"']*\.ts["']/.test(bundleText), 'the unpacked bundles import neither tsx nor a .ts file');
  const wasmSrc = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  const wasmFiles = readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'));
  const wasmDest = join(unpacked, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  const badWasm = wasmFiles.filter((f) => !existsSync(join(wasmDest, f)) || statSync(join(wasmDest, f)).size !== statSync(join(wasmSrc, f)).size);
  check(wasmFiles.length > 0 && badWasm.length === 0, `WASM binaries unpacked: ${wasmFiles.join(', ')}`);
  const gpu = existsSync(join(root, 'node_modules/@tensorflow/tfjs-node-gpu/package.json'));
  const gpuPacked = existsSync(join(unpacked, 'node_modules/@tensorflow/tfjs-node-gpu')) || files.has('/node_modules/@tensorflow/tfjs-node-gpu/package.json');
  check(gpu === gpuPacked, `@tensorflow/tfjs-node-gpu ${gpu ? 'installed here and packed' : 'not installed here and absent (the app falls back at run time)'}`);
  // The bundle's bare imports resolve from its own file, as Node resolves them when the app runs it: they must
  // land inside app.asar.unpacked (a process cannot import from inside the archive), and wasmDir() — the
  // folder next to tfjs-backend-wasm's main file — must hold the .wasm files.
  const bundleRequire = createRequire(join(bundleDest, 'utility-entry.mjs'));
  const realUnpacked = realpathSync(unpacked);
  const resolvedFrom = (name) => {
    try {
      return realpathSync(bundleRequire.resolve(name));
    } catch {
      return null;
    }
  };
  const installedRoots = TRAINER_ROOTS.filter((n) => existsSync(join(root, 'node_modules', n, 'package.json')));
  const unresolved = [...installedRoots, '@tensorflow/tfjs-core/dist/register_all_gradients.js'].filter((n) => !resolvedFrom(n)?.startsWith(realUnpacked));
  check(unresolved.length === 0, `the bundle's imports resolve inside app.asar.unpacked (${installedRoots.join(', ')}, tfjs-core's ESM gradients)${unresolved.length ? ` — not: ${unresolved.join(', ')}` : ''}`);
  const wasmMain = resolvedFrom('@tensorflow/tfjs-backend-wasm');
  check(wasmMain !== null && wasmFiles.every((f) => existsSync(join(dirname(wasmMain), f))), `…and wasmDir() of the bundle (${wasmMain ? relative(realpathSync(appOut), dirname(wasmMain)) : 'unresolved'}) holds the .wasm files`);

  // The trainer as the packaged app starts it: the bundle under plain Node (standing in for Electron's utility
  // process, which runs the same file with the same arguments), from a folder outside the repo, with no
  // TypeScript loader anywhere (no NODE_OPTIONS, no tsx packed), trains a tiny synthetic run to the end: the
  // WASM backend from the unpacked tfjs, the batch split over a worker thread started from
  // dist/trainer/worker-entry.mjs, both on tfjs' threaded WASM build (2 XNNPACK threads, as many-core
  // machines run it). The run folder is test data, written by the repo's own sources.
  const runDir = join(work, 'probe-run');
  rmSync(runDir, { recursive: true, force: true });
  const makeRun = join(work, 'make-run.mjs');
  writeFileSync(makeRun, `
    const { writeSyntheticRun } = await import(${JSON.stringify(pathToFileURL(join(root, 'trainer/data/synthetic.ts')).href)});
    await writeSyntheticRun(${JSON.stringify(runDir)}, { seed: 3, train: 2, val: 1, width: 64, height: 64, config: { preset: 'tiny', backend: 'wasm', workers: 2, wasmThreads: 2, solver: { epochs: 1, imsPerBatch: 2 } } });
  `);
  const env = { ...process.env };
  for (const k of ['FIELDWORK_WASM_DIR', 'NODE_PATH', 'NODE_OPTIONS']) delete env[k];
  const made = spawnSync(process.execPath, ['--import', pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href, makeRun], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
  const trained = made.status === 0
    ? spawnSync(process.execPath, [join(bundleDest, 'utility-entry.mjs'), 'train', runDir, '--json'], { cwd: work, env, encoding: 'utf8', timeout: 300_000 })
    : made;
  const events = (trained.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
  const last = events.at(-1);
  if (trained.status !== 0 || last?.type !== 'done') console.log(trained.stdout, trained.stderr);
  check(trained.status === 0 && last?.type === 'done', `the bundled trainer, started as the app starts it, trains a tiny run to the end and exits (exit ${trained.status ?? trained.signal}, last event ${last?.type ?? 'none'})`);
  const started = events.find((e) => e.type === 'started');
  check(started?.backend === 'wasm', `…on the WASM backend (started on ${started?.backend ?? 'nothing'})`);
  const resolved = existsSync(join(runDir, 'config.resolved.json')) ? JSON.parse(readFileSync(join(runDir, 'config.resolved.json'), 'utf8')) : {};
  const runLog = existsSync(join(runDir, 'log.txt')) ? readFileSync(join(runDir, 'log.txt'), 'utf8') : '';
  check(resolved.workers === 2 && !/worker threads did not start/.test(runLog), `…with its batch split over a worker thread from dist/trainer/worker-entry.mjs (${resolved.workers ?? '?'} threads)`);
  check(resolved.wasmThreads === 2 && !/threaded WASM build did not start/.test(trained.stderr ?? ''), `…each on tfjs' threaded WASM build (XNNPACK threads ${resolved.wasmThreads ?? '?'}; no fallback warning)`);
  // What electron/main/paths.ts sets as FIELDWORK_WASM_DIR in a packaged app: resources/app.asar.unpacked/<WASM_DIR_IN_APP>.
  const mainBundle = asar.extractFile(asarPath, 'dist/electron/main/index.js').toString('utf8');
  const wasmInApp = /WASM_DIR_IN_APP = "([^"]+)"/.exec(mainBundle)?.[1];
  check(wasmInApp !== undefined && wasmFiles.every((f) => existsSync(join(unpacked, wasmInApp, f))), `main's FIELDWORK_WASM_DIR (app.asar.unpacked/${wasmInApp}) holds the .wasm files`);

  step('Electron fuses in the packed executable');
  const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses');
  const wire = await getCurrentFuseWire(join(appOut, config.executableName));
  const want = {
    RunAsNode: config.electronFuses.runAsNode,
    EnableCookieEncryption: config.electronFuses.enableCookieEncryption,
    EnableNodeOptionsEnvironmentVariable: config.electronFuses.enableNodeOptionsEnvironmentVariable,
    EnableNodeCliInspectArguments: config.electronFuses.enableNodeCliInspectArguments,
    EnableEmbeddedAsarIntegrityValidation: config.electronFuses.enableEmbeddedAsarIntegrityValidation,
    OnlyLoadAppFromAsar: config.electronFuses.onlyLoadAppFromAsar,
    LoadBrowserProcessSpecificV8Snapshot: config.electronFuses.loadBrowserProcessSpecificV8Snapshot,
    GrantFileProtocolExtraPrivileges: config.electronFuses.grantFileProtocolExtraPrivileges,
  };
  const wrongFuses = Object.entries(want).filter(([name, on]) => wire[FuseV1Options[name]] !== (on ? 49 : 48));
  check(wrongFuses.length === 0, `fuses as configured: ${Object.entries(want).map(([n, on]) => `${n}=${on ? 'on' : 'off'}`).join(', ')}`);
  // The security checklist's must-haves, whatever the config says (issue #20).
  check(wire[FuseV1Options.RunAsNode] === 48, 'RunAsNode is off in the packed executable (the trainer is a utilityProcess)');
  check(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation] === 49, 'EmbeddedAsarIntegrityValidation is on in the packed executable');
  check(wire[FuseV1Options.OnlyLoadAppFromAsar] === 49, 'OnlyLoadAppFromAsar is on in the packed executable');
  const packedMain = asar.extractFile(asarPath, 'dist/electron/main/index.js').toString('utf8');
  check(!packedMain.includes('ELECTRON_RUN_AS_NODE'), "the packed main bundle never sets ELECTRON_RUN_AS_NODE");
  check(/["']dist["'],\s*["']trainer["'],\s*["']utility-entry\.mjs["']/.test(packedMain), 'the packed main bundle forks dist/trainer/utility-entry.mjs when packaged');

  step('native addons (ABI guard skipped here, see above)');
  const { checkPackedAddons, electronAbi } = await import('./native-abi.mjs');
  const abiReport = checkPackedAddons(resources, electronAbi(electronVersion));
  for (const r of abiReport.results) console.log(`  info ${r.message}`);

  step('ABI guard wired into electron-builder (same pack without the skip: must fail)');
  const guarded = spawnSync(process.execPath, [
    join(root, 'node_modules/electron-builder/cli.js'),
    '--linux', 'dir', '--x64',
    '-c', 'build/electron-builder.config.cjs',
    `-c.electronDist=${fakeDist}`,
    '-c.npmRebuild=false',
    `-c.directories.output=${join(work, 'release-guarded')}`,
    '--publish', 'never',
  ], { cwd: root, encoding: 'utf8', env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== SKIP_ENV)) });
  const guardText = `${guarded.stdout}\n${guarded.stderr}`;
  check(guarded.status !== 0 && /Native addons packed with the wrong ABI/.test(guardText) && /better_sqlite3\.node: built for NODE_MODULE_VERSION/.test(guardText),
    `packing the Node-ABI better_sqlite3.node fails the build (exit ${guarded.status}: "${(/better_sqlite3\.node: built for NODE_MODULE_VERSION \d+ \([^)]*\), but Electron needs \d+ \([^)]*\)/.exec(guardText) ?? ['no guard message'])[0]}")`);

  step('sizes');
  const asarSize = statSync(asarPath).size;
  const unpackedSize = sizeOf(unpacked);
  const extra = sizeOf(resources) - asarSize - unpackedSize;
  console.log(`  app.asar            ${mb(asarSize)} (${entries.length} entries)`);
  console.log(`  app.asar.unpacked   ${mb(unpackedSize)}`);
  console.log(`  other resources/    ${mb(extra)} (demo data, icon)`);
  console.log(`  app total           ${mb(asarSize + unpackedSize + extra)} (+ the Electron runtime, not measured: the stand-in is a few bytes)`);
  const perPackage = new Map();
  for (const f of walkFiles(unpacked)) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(relative(unpacked, f).split(sep).join('/'));
    const key = m ? m[1] : relative(unpacked, f).split(sep)[0];
    perPackage.set(key, (perPackage.get(key) ?? 0) + statSync(f).size);
  }
  for (const e of asar.listPackage(asarPath, { isPack: false })) {
    const p = e.split(sep).join('/');
    const m = /^\/node_modules\/((?:@[^/]+\/)?[^/]+)\/.+/.exec(p);
    const key = m ? m[1] : p.split('/').slice(1, p.startsWith('/renderer') || p.startsWith('/dist') ? 3 : 2).join('/');
    try {
      const st = asar.statFile(asarPath, p.replace(/^\//, ''));
      if (st.size !== undefined && !st.unpacked) perPackage.set(key, (perPackage.get(key) ?? 0) + st.size);
    } catch {
      // directories
    }
  }
  console.log('  largest parts:');
  for (const [name, size] of [...perPackage].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`    ${mb(size).padStart(9)}  ${name}`);
} catch (err) {
  failures.push(err instanceof Error ? err.message : String(err));
  console.error(err);
} finally {
  if (args.has('--keep')) console.log(`\n(kept ${work})`);
  else rmSync(work, { recursive: true, force: true });
}

console.log(`\n${failures.length === 0 ? 'dist:check passed' : `dist:check FAILED (${failures.length})`} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
for (const f of failures) console.log(`  - ${f}`);
process.exit(failures.length === 0 ? 0 : 1);
