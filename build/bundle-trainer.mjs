#!/usr/bin/env node
// Bundles the trainer for the packaged app with esbuild (`npm run build:trainer`; build/dist.mjs and
// build/dist-check.mjs call it), so the app runs JavaScript and needs no TypeScript loader at run time:
//   trainer/process-main.ts         → dist/trainer/utility-entry.mjs  (what utilityProcess forks)
//   trainer/parallel/worker.ts      → dist/trainer/worker-entry.mjs   (a data-parallel worker thread)
//   trainer/backend/esm_resolve_hook.mjs, copied                    (registered at run time by URL)
// The trainer's code finds the last two by `new URL('./<name>', import.meta.url)`; bundled, import.meta.url is
// the bundle's own file, so they sit next to it under the names the sources use.
// ES modules with the .mjs extension: app.asar.unpacked has no package.json saying "type": "module".
// External, loaded from node_modules at run time: tfjs (its WASM binaries must stay real files next to
// tfjs-backend-wasm, and its CommonJS and ESM builds share one registry), sharp (native), webgpu (Dawn's
// native bindings, optional). The packaged app unpacks them with the bundle (build/trainer-packages.cjs).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const TRAINER_EXTERNALS = ['@tensorflow/*', 'sharp', 'webgpu'];
/** Files of dist/trainer: the two bundles and the hook they register. */
export const TRAINER_BUNDLE_FILES = ['utility-entry.mjs', 'worker-entry.mjs', 'esm_resolve_hook.mjs'];

/** outDir: where dist/trainer goes (tests use a temporary folder). */
export async function bundleTrainer({ quiet = false, outDir = join(root, 'dist', 'trainer') } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: quiet ? 'warning' : 'info',
    external: TRAINER_EXTERNALS,
    // CommonJS code bundled into an ES module still calls require() for Node built-ins.
    banner: { js: "import { createRequire as __fieldworkCreateRequire } from 'node:module'; const require = __fieldworkCreateRequire(import.meta.url);" },
  };
  await Promise.all([
    build({ ...common, entryPoints: ['trainer/process-main.ts'], outfile: join(outDir, 'utility-entry.mjs') }),
    build({ ...common, entryPoints: ['trainer/parallel/worker.ts'], outfile: join(outDir, 'worker-entry.mjs') }),
  ]);
  copyFileSync(join(root, 'trainer/backend/esm_resolve_hook.mjs'), join(outDir, 'esm_resolve_hook.mjs'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleTrainer();
}
