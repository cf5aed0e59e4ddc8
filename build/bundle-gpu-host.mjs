#!/usr/bin/env node
// Bundles the desktop app's GPU host page for the browser with esbuild (build/bundle-electron.mjs calls
// it, so `npm run build:electron`, `npm run dist` and `npm run dist:check` build and pack it):
//   trainer/gpu_host/page_entry.ts → dist/electron/gpu-host/page.js   (+ index.html, written here)
// Served to the hidden GPU host window by the app's own protocol at fieldwork://app/gpu-host/
// (electron/main/gpu-host.ts, app-protocol.ts mounts), never from file://. `webgpu` (Dawn for Node) is external and never loaded: the page has Chromium's own.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const GPU_HOST_HTML = '<!doctype html>\n<meta charset="utf-8">\n<title>Fieldwork GPU host</title>\n<script type="module" src="./page.js"></script>\n';

/** esbuild options for a browser bundle of `entry` (tests bundle their bridge with the same). */
export function browserBundleOptions(entry) {
  return {
    absWorkingDir: root, entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', target: 'chrome120',
    external: ['webgpu'], legalComments: 'none', logLevel: 'warning',
  };
}

/** Writes dist/electron/gpu-host (or outDir); with write false returns the page script's text instead. */
export async function bundleGpuHost({ outDir = join(root, 'dist', 'electron', 'gpu-host'), write = true } = {}) {
  const result = await build({ ...browserBundleOptions('trainer/gpu_host/page_entry.ts'), write: false });
  const js = result.outputFiles[0].text;
  if (!write) return js;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'page.js'), js);
  writeFileSync(join(outDir, 'index.html'), GPU_HOST_HTML);
  return js;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleGpuHost();
}
