// The trainer's compute core on Chromium's own WebGPU (what the desktop app's GPU host page will
// run), Electron-free: headless Chromium with SwiftShader's WebGPU, a page served on 127.0.0.1 that
// bundles the same MaskRcnn / step / optimiser modules, a few tiny training steps. Skips (with the
// reason) without Chromium or SwiftShader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { SWIFTSHADER_ICD } from '../helpers/webgpu.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : !existsSync(SWIFTSHADER_ICD) ? `no SwiftShader (${SWIFTSHADER_ICD})` : false;
if (skip) console.log(`# skipping the Chromium WebGPU test: ${skip}`);

/** The switches Chromium needs for WebGPU on Linux without a GPU (electron issues #41763, #40929 for Electron's). */
export const SWIFTSHADER_WEBGPU_SWITCHES = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--enable-unsafe-swiftshader'];

test('Chromium\'s WebGPU trains the tiny model a few steps: finite falling losses, flat tensor count', { skip, timeout: 240_000 }, async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('../helpers/gpu_page_entry.ts', import.meta.url))],
    bundle: true, platform: 'browser', format: 'esm', write: false, external: ['webgpu'], logLevel: 'silent',
  });
  const js = bundle.outputFiles[0].text;
  const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/page.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(js); return; }
    res.writeHead(200, { 'content-type': 'text/html' }); res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', ...SWIFTSHADER_WEBGPU_SWITCHES] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => typeof (globalThis as { runSteps?: unknown }).runSteps === 'function');
    const r = (await page.evaluate(() => (globalThis as unknown as { runSteps(n: number): Promise<unknown> }).runSteps(4))) as
      { error?: string; backend: string; adapter: { software: boolean; host: string; architecture: string }; losses: number[]; tensors: number[] };
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(errors, []);
    assert.equal(r.backend, 'webgpu');
    assert.equal(r.adapter.host, 'chromium');
    assert.equal(r.adapter.software, true, JSON.stringify(r.adapter));
    assert.ok(r.losses.every(Number.isFinite), `losses ${r.losses}`);
    assert.ok(r.losses[r.losses.length - 1] < r.losses[0], `loss falls: ${r.losses}`);
    assert.equal(new Set(r.tensors.slice(1)).size, 1, `tensors per step ${r.tensors}`);
  } finally {
    await browser.close();
    server.close();
  }
});
