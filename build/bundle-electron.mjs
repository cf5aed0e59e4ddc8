#!/usr/bin/env node
// Bundles the Electron side with esbuild (`npm run build:electron`):
//   electron/main/index.ts → dist/electron/main/index.js  (ESM: the package is "type": "module")
//   electron/preload.ts    → dist/electron/preload.cjs    (CommonJS: sandboxed preloads cannot load ESM)
//   electron/gpu-host-preload.ts → dist/electron/gpu-host-preload.cjs, and the GPU host page
//   (build/bundle-gpu-host.mjs) → dist/electron/gpu-host/ (electron/main/gpu-host.ts)
// Native and heavy packages stay external and load from node_modules at run time.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleGpuHost } from './bundle-gpu-host.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// webgpu: Dawn's native bindings (optional), reached through the trainer's backend code.
export const MAIN_EXTERNALS = ['electron', 'better-sqlite3', 'sharp', '@tensorflow/*', 'webgpu'];

/** outDir: where dist/electron goes (tests use a temporary folder). */
export async function bundleElectron({ quiet = false, outDir = join(root, 'dist', 'electron') } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  const common = { absWorkingDir: root, bundle: true, sourcemap: 'linked', target: 'node20', logLevel: quiet ? 'warning' : 'info', legalComments: 'none' };
  await Promise.all([
    build({
      ...common,
      entryPoints: ['electron/main/index.ts'],
      outfile: join(outDir, 'main', 'index.js'),
      platform: 'node',
      format: 'esm',
      external: MAIN_EXTERNALS,
      // CommonJS code bundled into an ES module still calls require() for Node built-ins.
      banner: { js: "import { createRequire as __fieldworkCreateRequire } from 'node:module'; const require = __fieldworkCreateRequire(import.meta.url);" },
    }),
    build({
      ...common,
      entryPoints: ['electron/preload.ts'],
      outfile: join(outDir, 'preload.cjs'),
      platform: 'node',
      format: 'cjs',
      external: ['electron'],
    }),
    build({
      ...common,
      entryPoints: ['electron/gpu-host-preload.ts'],
      outfile: join(outDir, 'gpu-host-preload.cjs'),
      platform: 'node',
      format: 'cjs',
      external: ['electron'],
    }),
    bundleGpuHost({ outDir: join(outDir, 'gpu-host') }),
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleElectron();
}
