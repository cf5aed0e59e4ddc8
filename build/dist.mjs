#!/usr/bin/env node
// Builds the installers for this platform (`npm run dist`): Linux AppImage + deb, Windows NSIS, macOS dmg.
// Needs internet access: electron-builder downloads Electron and its packaging tools, and @electron/rebuild
// fetches Electron headers / prebuilt binaries to rebuild better-sqlite3 for Electron's ABI. The afterPack
// ABI guard (build/native-abi.mjs) fails the build if that rebuild did not happen.
//
// The rebuild replaces node_modules/better-sqlite3's Node build with an Electron one; this script puts the
// Node build back afterwards, so `npm test` and the CLI keep working.
// Usage: node build/dist.mjs [extra electron-builder arguments, e.g. --x64 --arm64]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleElectron } from './bundle-electron.mjs';
import { bundleTrainer } from './bundle-trainer.mjs';
import { readNodeModuleVersions } from './native-abi.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const PLATFORM_FLAG = { linux: '--linux', darwin: '--mac', win32: '--win' };
const flag = PLATFORM_FLAG[process.platform];
if (!flag) {
  console.error(`No installer targets for ${process.platform}; build on Linux, macOS or Windows.`);
  process.exit(1);
}

function run(argv) {
  const result = spawnSync(process.execPath, argv, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node ${argv.join(' ')} exited with ${result.status ?? result.signal}`);
}

const addon = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
const backupDir = mkdtempSync(join(tmpdir(), 'fieldwork-dist-'));
const backup = join(backupDir, 'better_sqlite3.node');
let failed = false;
try {
  console.log('== renderer (vite build)');
  run([join(root, 'node_modules/vite/bin/vite.js'), 'build']);
  console.log('== electron and trainer bundles');
  await bundleElectron();
  await bundleTrainer();

  if (existsSync(addon)) copyFileSync(addon, backup);
  console.log(`== electron-builder ${flag} (rebuilds native modules for Electron, then packs)`);
  run([join(root, 'node_modules/electron-builder/cli.js'), flag, '-c', 'build/electron-builder.config.cjs', '--publish', 'never', ...process.argv.slice(2)]);
} catch (err) {
  failed = true;
  console.error(err instanceof Error ? err.message : err);
} finally {
  if (existsSync(backup)) {
    const now = existsSync(addon) ? readNodeModuleVersions(readFileSync(addon)) : [];
    const before = readNodeModuleVersions(readFileSync(backup));
    if (now.join() !== before.join()) {
      copyFileSync(backup, addon);
      console.log(`== restored the Node build of better_sqlite3.node (ABI ${before.join()}; the packed one is ABI ${now.join() || '?'})`);
    }
  }
  rmSync(backupDir, { recursive: true, force: true });
}

const release = join(root, 'release');
if (existsSync(release)) {
  console.log('\n== release/');
  for (const name of readdirSync(release).sort()) {
    const st = statSync(join(release, name));
    if (st.isFile()) console.log(`  ${(st.size / 1024 / 1024).toFixed(1).padStart(8)} MB  ${name}`);
  }
}
process.exit(failed ? 1 : 0);
