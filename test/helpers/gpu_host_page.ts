// The GPU host page (trainer/gpu_host/page_entry.ts, bundled as the app bundles it) in headless Chromium
// on SwiftShader's WebGPU, its port bridged to this Node process over a loopback WebSocket (./wire.ts,
// ./gpu_host_bridge.ts). What the desktop app does with a hidden window and a MessageChannelMain, without
// Electron. Used by test/trainer/gpu_host.test.ts.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import { browserBundleOptions, bundleGpuHost } from '../../build/bundle-gpu-host.mjs';
import type { RemotePort } from '../../trainer/parallel/shards.ts';
import type { FromWorker } from '../../trainer/parallel/messages.ts';
import { SWIFTSHADER_ICD } from './webgpu.ts';
import { decode, encode } from './wire.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The switches Chromium needs for WebGPU on Linux without a GPU (as test/trainer/webgpu_chromium.test.ts). */
export const SWIFTSHADER_SWITCHES = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--enable-unsafe-swiftshader'];

export function gpuHostSkipReason(): string | false {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}`;
  if (!existsSync(SWIFTSHADER_ICD)) return `no SwiftShader (${SWIFTSHADER_ICD})`;
  return false;
}

/** A WebSocket seen as the pool's RemotePort. */
function socketPort(ws: WebSocket): RemotePort {
  return {
    postMessage: (m) => ws.send(Buffer.from(encode(m))),
    onMessage: (h) => ws.on('message', (data: Buffer) => h(decode(new Uint8Array(data)) as FromWorker)),
    onClose: (h) => ws.on('close', h),
    close: () => ws.close(),
  };
}

export interface GpuHostPage {
  /** The next port the page hands out (one per page load: call reload() for another). */
  port(): Promise<RemotePort>;
  reload(): Promise<void>;
  pageErrors: string[];
  close(): Promise<void>;
}

export async function openGpuHostPage(): Promise<GpuHostPage> {
  const page = await bundleGpuHost({ write: false });
  const bridge = (await build({ ...browserBundleOptions('test/helpers/gpu_host_bridge.ts'), write: false })).outputFiles[0].text;
  const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script><script type="module" src="/bridge.js"></script>';
  const server = createServer((req, res) => {
    const js = req.url === '/page.js' ? page : req.url === '/bridge.js' ? bridge : null;
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
    res.end(js ?? html);
  });
  const wss = new WebSocketServer({ server, path: '/bridge' });
  const waiting: ((p: RemotePort) => void)[] = [];
  const ready: RemotePort[] = [];
  wss.on('connection', (ws) => {
    const p = socketPort(ws);
    const w = waiting.shift();
    if (w) w(p);
    else ready.push(p);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', ...SWIFTSHADER_SWITCHES] });
    const tab = await browser.newPage();
    const pageErrors: string[] = [];
    tab.on('pageerror', (e) => pageErrors.push(e.message));
    await tab.goto(url);
    const b = browser;
    return {
      pageErrors,
      port: () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise((r) => waiting.push(r))),
      reload: async () => { await tab.reload(); },
      async close() {
        await b.close();
        wss.close();
        server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    wss.close();
    server.close();
    throw e;
  }
}
