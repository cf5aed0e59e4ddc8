// The desktop app's GPU host wiring (electron/main/gpu-host.ts, electron/gpu-host-preload.ts) with a
// fake Electron: the hidden window's options are the secure ones and it loads the page through the
// app's own protocol; each trainer gets its own port pair, one end to the window, the other to the
// trainer; a window that does not load tells the trainer why; Linux alone gets WebGPU's switches; the
// preload forwards ports into the page and nothing else. (Electron itself does not run here; the page
// and the trainer side are tested in test/trainer/gpu_host*.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import type { BrowserWindowConstructorOptions } from 'electron';
import { createAppProtocolHandler } from '../../electron/main/app-protocol.ts';
import { readRegularFile } from '../../electron/main/app.ts';
import { GPU_HOST_CSP } from '../../electron/main/csp.ts';
import { GPU_HOST_URL, GpuHost, gpuHostModule, gpuHostPaths, gpuHostSwitches, gpuHostWindowOptions } from '../../electron/main/gpu-host.ts';
import type { AppContext } from '../../electron/main/module.ts';
import { isAppUrl } from '../../electron/main/schemes.ts';
import type { UtilityProcessLike } from '../../electron/main/trainer-launcher.ts';
import type { BrowserWindowCtor } from '../../electron/main/window.ts';
import { forwardGpuPorts } from '../../electron/gpu-host-forward.ts';
import { GPU_PORT_CHANNEL, GPU_PORT_MESSAGE } from '../../trainer/gpu_host/names.ts';

function fakeElectron(load: () => Promise<void> = () => Promise.resolve()) {
  const windows: FakeWindow[] = [];
  class FakeWindow extends EventEmitter {
    options: BrowserWindowConstructorOptions;
    url = '';
    destroyed = false;
    sent: { channel: string; message: unknown; ports: unknown[] }[] = [];
    webContents = Object.assign(new EventEmitter(), {
      postMessage: (channel: string, message: unknown, ports: unknown[] = []) => { this.sent.push({ channel, message, ports }); },
    });
    constructor(o: BrowserWindowConstructorOptions) {
      super();
      this.options = o;
      windows.push(this);
    }
    loadURL(url: string) { this.url = url; return load(); }
    isDestroyed() { return this.destroyed; }
    destroy() { this.destroyed = true; this.emit('closed'); }
  }
  let n = 0;
  class FakeChannel { port1 = { side: 1, n: ++n }; port2 = { side: 2, n }; }
  return { windows, BrowserWindow: FakeWindow as unknown as BrowserWindowCtor, MessageChannelMain: FakeChannel };
}

function fakeTrainer() {
  const ev = new EventEmitter();
  const posted: { message: unknown; ports: unknown[] }[] = [];
  const utility = { on: (e: string, l: () => void) => { ev.on(e, l); return utility; }, postMessage: (message: unknown, ports: unknown[] = []) => posted.push({ message, ports }) };
  return { utility: utility as unknown as UtilityProcessLike, posted, spawn: () => ev.emit('spawn') };
}

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
};

test('the hidden window: never shown, sandboxed, isolated, no Node, web security on, its own preload; loaded from the app protocol', () => {
  const o = gpuHostWindowOptions('/app/dist/electron/gpu-host-preload.cjs');
  assert.equal(o.show, false);
  const w = o.webPreferences!;
  assert.equal(w.sandbox, true);
  assert.equal(w.contextIsolation, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.preload, '/app/dist/electron/gpu-host-preload.cjs');
  assert.ok(isAppUrl(GPU_HOST_URL), GPU_HOST_URL);
  assert.match(GPU_HOST_URL, /^fieldwork:\/\/app\/gpu-host\//);
  assert.deepEqual(gpuHostPaths('/opt/F/resources/app.asar/dist/electron/main'), {
    pageDir: '/opt/F/resources/app.asar/dist/electron/gpu-host', preloadPath: '/opt/F/resources/app.asar/dist/electron/gpu-host-preload.cjs',
  });
});

test("WebGPU's switches are set on Linux only, before ready; the page is mounted with its own CSP", () => {
  assert.deepEqual(gpuHostSwitches('linux'), [['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']]);
  assert.deepEqual(gpuHostSwitches('darwin'), []);
  assert.deepEqual(gpuHostSwitches('win32'), []);
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    const switches: string[][] = [];
    const ctx = { platform, electron: { app: { commandLine: { appendSwitch: (...a: string[]) => switches.push(a) }, on() {} } } } as unknown as AppContext;
    gpuHostModule({ close() {} }, '/pages').beforeReady!(ctx);
    assert.deepEqual(switches, platform === 'linux' ? [['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']] : [], platform);
    assert.deepEqual(ctx.appMounts, [{ prefix: 'gpu-host', dir: '/pages', csp: GPU_HOST_CSP }]);
  }
  assert.match(GPU_HOST_CSP, /default-src 'none'/);
  assert.match(GPU_HOST_CSP, /connect-src 'none'/);
});

test('each trainer gets its own channel: port1 to the window, port2 to the trainer; one window for all', async () => {
  const fake = fakeElectron();
  const host = new GpuHost({ BrowserWindow: fake.BrowserWindow, MessageChannelMain: fake.MessageChannelMain, preloadPath: '/p.cjs', log: () => {} });
  const a = fakeTrainer(), b = fakeTrainer();
  host.connect(a.utility);
  host.connect(b.utility);
  assert.equal(fake.windows.length, 0, 'nothing opens before a trainer has spawned');
  a.spawn();
  await until(() => a.posted.length === 1, 'trainer a got its offer');
  b.spawn();
  await until(() => b.posted.length === 1, 'trainer b got its offer');
  assert.equal(fake.windows.length, 1);
  const win = fake.windows[0] as unknown as { url: string; options: BrowserWindowConstructorOptions; sent: { channel: string; ports: { side: number; n: number }[] }[] };
  assert.equal(win.url, GPU_HOST_URL);
  assert.equal(win.options.show, false);
  assert.deepEqual(win.sent.map((s) => s.channel), [GPU_PORT_CHANNEL, GPU_PORT_CHANNEL]);
  for (const [k, t] of [a, b].entries()) {
    const toWindow = win.sent[k].ports[0], toTrainer = t.posted[0].ports[0] as { side: number; n: number };
    assert.deepEqual(t.posted[0].message, { type: 'gpu-host' });
    assert.equal(toWindow.side, 1);
    assert.equal(toTrainer.side, 2);
    assert.equal(toWindow.n, toTrainer.n, 'the two ends of one channel');
  }
  assert.notEqual(win.sent[0].ports[0].n, win.sent[1].ports[0].n);
  host.close();
  assert.equal((fake.windows[0] as unknown as { destroyed: boolean }).destroyed, true);
});

test('a window that does not load: the trainer is told why (and trains on WASM); the next trainer tries again', async () => {
  let fail = true;
  const fake = fakeElectron(() => (fail ? Promise.reject(new Error('ERR_FILE_NOT_FOUND (-6)')) : Promise.resolve()));
  const logged: string[] = [];
  const host = new GpuHost({ BrowserWindow: fake.BrowserWindow, MessageChannelMain: fake.MessageChannelMain, preloadPath: '/p.cjs', log: (m) => logged.push(m) });
  const a = fakeTrainer();
  host.connect(a.utility);
  a.spawn();
  await until(() => a.posted.length === 1, 'trainer a was answered');
  assert.deepEqual(a.posted[0], { message: { type: 'gpu-host-unavailable', reason: 'the GPU host window did not load: ERR_FILE_NOT_FOUND (-6)' }, ports: [] });
  assert.match(logged.join('\n'), /did not load/);
  fail = false;
  const b = fakeTrainer();
  host.connect(b.utility);
  b.spawn();
  await until(() => b.posted.length === 1, 'trainer b was answered');
  assert.deepEqual(b.posted[0].message, { type: 'gpu-host' });
  assert.equal(fake.windows.length, 2);
});

test('closing the main window closes the GPU host window (so the app can quit)', () => {
  let closed = 0;
  const mainWindow = new EventEmitter();
  const ctx = { mainWindow, electron: { app: { on() {} } } } as unknown as AppContext;
  gpuHostModule({ close: () => { closed++; } }, '/pages').onReady!(ctx);
  mainWindow.emit('closed');
  assert.equal(closed, 1);
});

test("the window's preload forwards main's ports into the page as a window message, and nothing else", async () => {
  const ipc = new EventEmitter();
  const posted: unknown[][] = [];
  forwardGpuPorts({ on: (c, l) => ipc.on(c, l) }, { postMessage: ((...a: unknown[]) => posted.push(a)) as Window['postMessage'] });
  const port = { fake: 'port' };
  ipc.emit(GPU_PORT_CHANNEL, { ports: [port] });
  ipc.emit(GPU_PORT_CHANNEL, { ports: [] });
  ipc.emit('other', { ports: [port] });
  assert.deepEqual(posted, [[{ type: GPU_PORT_MESSAGE }, '*', [port]]]);

  // Bundled as the app bundles it: CommonJS needing only electron, exposing nothing to the page.
  const { bundleElectron } = await import('../../build/bundle-electron.mjs');
  const out = mkdtempSync(join(tmpdir(), 'fw-gpu-bundle-'));
  try {
    await bundleElectron({ quiet: true, outDir: out });
    const code = readFileSync(join(out, 'gpu-host-preload.cjs'), 'utf8');
    const required: string[] = [];
    const channels: string[] = [];
    const exposed: string[] = [];
    const electron = { ipcRenderer: { on: (c: string) => channels.push(c) }, contextBridge: { exposeInMainWorld: (k: string) => exposed.push(k) } };
    vm.runInNewContext(code, { module: { exports: {} }, exports: {}, window: { postMessage() {} }, require: (name: string) => { required.push(name); if (name === 'electron') return electron; throw new Error(`a sandboxed preload cannot require ${name}`); } });
    assert.deepEqual([...new Set(required)], ['electron']);
    assert.deepEqual(channels, [GPU_PORT_CHANNEL]);
    assert.deepEqual(exposed, []);
    assert.match(readFileSync(join(out, 'gpu-host', 'index.html'), 'utf8'), /<script type="module" src=".\/page.js">/);
    assert.doesNotMatch(readFileSync(join(out, 'gpu-host', 'page.js'), 'utf8'), /require\(["']node:|from ["']node:/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the app protocol serves the mounted page with its CSP, refuses paths leaving it, and still serves the renderer', async () => {
  const root = mkdtempSync(join(tmpdir(), 'fw-mount-'));
  try {
    mkdirSync(join(root, 'renderer'));
    mkdirSync(join(root, 'gpu'));
    writeFileSync(join(root, 'renderer', 'index.html'), 'app');
    writeFileSync(join(root, 'gpu', 'index.html'), 'gpu page');
    writeFileSync(join(root, 'secret.txt'), 'no');
    const handler = createAppProtocolHandler({ rendererDir: join(root, 'renderer'), readFile: readRegularFile, mounts: [{ prefix: 'gpu-host', dir: join(root, 'gpu'), csp: GPU_HOST_CSP }] });
    const page = await handler(new Request(GPU_HOST_URL));
    assert.equal(page.status, 200);
    assert.equal(await page.text(), 'gpu page');
    assert.equal(page.headers.get('content-security-policy'), GPU_HOST_CSP);
    for (const bad of ['fieldwork://app/gpu-host/..%2Fsecret.txt', 'fieldwork://app/gpu-host/%2e%2e/secret.txt', 'fieldwork://app/gpu-host/missing.js']) {
      assert.equal((await handler(new Request(bad))).status, 404, bad);
    }
    const app = await handler(new Request('fieldwork://app/index.html'));
    assert.equal(await app.text(), 'app');
    assert.notEqual(app.headers.get('content-security-policy'), GPU_HOST_CSP);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
