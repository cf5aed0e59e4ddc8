// Electron main-process logic under plain Node, with fakes for the Electron objects it is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, isAbsolute, resolve } from 'node:path';
import { API_EVENTS, API_METHODS } from '../../electron/api.ts';
import { NotFoundError, UserError } from '../../electron/services/errors.ts';
import { contentSecurityPolicy } from '../../electron/web/server.ts';
import { apiChannels, EVENT_CHANNEL, lookupChannel, PICK_PATHS_CHANNEL } from '../../electron/main/channels.ts';
import { dispatchApiCall as dispatchIpc, forwardEvents, isTrustedSender, registerIpc, type IpcEnvelope, type SenderInfo, type WorkbenchLike } from '../../electron/main/ipc.ts';
import { createApiDispatcher } from '../../electron/services/dispatch.ts';
import { createAppProtocolHandler, resolveAppPath } from '../../electron/main/app-protocol.ts';
import { createMediaProtocolHandler, parseMediaUrl } from '../../electron/main/media-protocol.ts';
import { APP_CSP } from '../../electron/main/csp.ts';
import { createMainWindow, mainWindowOptions, secureWebPreferences } from '../../electron/main/window.ts';
import { externalHttpUrl, guardWebContents } from '../../electron/main/navigation.ts';
import { denyAllPermissions } from '../../electron/main/permissions.ts';
import { openDialogOptions, parsePickOptions, pickPaths } from '../../electron/main/dialogs.ts';
import { resolveAppPaths, trainerEnvironment } from '../../electron/main/paths.ts';
import { APP_ENTRY_URL, isAppUrl, PRIVILEGED_SCHEMES } from '../../electron/main/schemes.ts';
import { readRegularFile, startApp } from '../../electron/main/app.ts';
import type { ElectronMain } from '../../electron/main/module.ts';

/** The shared dispatch over a fake workbench (its api takes no real paths, so no guard), for one IPC call. */
const dispatcherOf = (wb: WorkbenchLike, log: (m: string, err?: unknown) => void) => createApiDispatcher(wb.api, { guard: null, log, label: 'ipc' });
const dispatchApiCall = (wb: WorkbenchLike, channel: string, sender: SenderInfo, args: unknown[], log: (m: string, err?: unknown) => void) =>
  dispatchIpc(dispatcherOf(wb, log), channel, sender, args, log);

const APP_FRAME: SenderInfo = { senderFrame: { url: 'fieldwork://app/index.html', parent: null } };
const allMethods = Object.entries(API_METHODS).flatMap(([d, ms]) => ms.map((m) => `${d}.${m}`));

/** A workbench whose every API method records its call and returns [channel, args]. */
function fakeWorkbench(impl: Record<string, (...a: unknown[]) => unknown> = {}) {
  const calls: { channel: string; args: unknown[] }[] = [];
  const api: Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>> = {};
  for (const [domain, methods] of Object.entries(API_METHODS)) {
    api[domain] = {};
    for (const method of methods) {
      const channel = `${domain}.${method}`;
      api[domain][method] = async (...args) => {
        calls.push({ channel, args });
        return impl[channel] ? impl[channel](...args) : { channel, args };
      };
    }
  }
  const emitter = new EventEmitter();
  const wb = {
    api,
    on: (event: string, cb: (p: unknown) => void) => {
      emitter.on(event, cb);
      return () => emitter.off(event, cb);
    },
    emit: (event: string, payload: unknown) => emitter.emit(event, payload),
    mediaFile: (_k: string, _id: number): string => {
      throw new UserError('No project is open; create or open one first.');
    },
    close: () => {},
  };
  return { wb: wb as unknown as WorkbenchLike & typeof wb, calls };
}

// ---------------------------------------------------------------- channels and IPC

test('channel table is exactly API_METHODS as <domain>.<method>', () => {
  assert.deepEqual(apiChannels().map((c) => c.channel), allMethods);
  for (const name of allMethods) assert.ok(lookupChannel(name), name);
  for (const bad of ['projects', 'projects.', 'projects.constructor', 'projects.__proto__', '__proto__.x', 'toString', 'projects.create.x', 'web.start', PICK_PATHS_CHANNEL, EVENT_CHANNEL, 'Projects.create', '', 42, null]) {
    assert.equal(lookupChannel(bad), null, String(bad));
  }
});

test('dispatch calls the workbench for a listed channel from the app frame', async () => {
  const { wb, calls } = fakeWorkbench();
  const reply = await dispatchApiCall(wb, 'projects.create', APP_FRAME, ['/tmp/p', 'Name'], () => {});
  assert.deepEqual(reply, { ok: true, value: { channel: 'projects.create', args: ['/tmp/p', 'Name'] } });
  assert.deepEqual(calls, [{ channel: 'projects.create', args: ['/tmp/p', 'Name'] }]);
});

test('dispatch refuses a channel not in API_METHODS without calling anything', async () => {
  const { wb, calls } = fakeWorkbench();
  for (const channel of ['projects.constructor', 'projects.__proto__', 'images.destroy', 'shell.openExternal']) {
    const reply = await dispatchApiCall(wb, channel, APP_FRAME, [], () => {});
    assert.equal(reply.ok, false, channel);
    assert.equal(!reply.ok && reply.error.kind, 'not_found');
  }
  assert.equal(calls.length, 0);
});

test('dispatch refuses senders that are not the app top frame', async () => {
  const { wb, calls } = fakeWorkbench();
  const senders: SenderInfo[] = [
    { senderFrame: null },
    {},
    { senderFrame: { url: 'https://evil.example/', parent: null } },
    { senderFrame: { url: 'http://127.0.0.1:5173/', parent: null } },
    { senderFrame: { url: 'file:///work/main/renderer/dist/index.html', parent: null } },
    { senderFrame: { url: 'fieldwork://evil/index.html', parent: null } },
    { senderFrame: { url: 'fieldwork://app.evil/index.html', parent: null } },
    { senderFrame: { url: 'fieldwork://user@app/index.html', parent: null } },
    { senderFrame: { url: 'fieldwork://app:8080/index.html', parent: null } },
    { senderFrame: { url: 'fieldwork-media://app/index.html', parent: null } },
    { senderFrame: { url: 'about:blank', parent: null } },
    { senderFrame: { url: 'not a url', parent: null } },
    // An app-origin subframe is not the window either.
    { senderFrame: { url: 'fieldwork://app/index.html', parent: {} } },
    // The GPU host page shares the app's origin but computes for the trainer only: no API.
    { senderFrame: { url: 'fieldwork://app/gpu-host/index.html', parent: null } },
    { senderFrame: { url: 'fieldwork://app//gpu-host/index.html', parent: null } },
    { senderFrame: { url: 'fieldwork://app/GPU-HOST/index.html', parent: null } },
    { senderFrame: { url: 'fieldwork://app/x/../gpu-host/index.html', parent: null } },
  ];
  const logs: string[] = [];
  for (const sender of senders) {
    assert.equal(isTrustedSender(sender), false, JSON.stringify(sender));
    const reply = await dispatchApiCall(wb, 'projects.open', sender, ['/x'], (m) => logs.push(m));
    assert.equal(reply.ok, false);
  }
  assert.equal(calls.length, 0);
  assert.equal(logs.length, senders.length);
  assert.equal(isTrustedSender(APP_FRAME), true);
});

test('errors come back as {kind, message, details}; internal ones are logged', async () => {
  const { wb } = fakeWorkbench({
    'projects.open': () => {
      throw new UserError('That folder is not a Fieldwork project.');
    },
    'images.get': () => {
      throw new NotFoundError('No image 7.');
    },
    'stats.get': () => {
      throw new TypeError('boom');
    },
  });
  const logged: unknown[] = [];
  const log = (_m: string, err?: unknown) => logged.push(err);
  assert.deepEqual(await dispatchApiCall(wb, 'projects.open', APP_FRAME, ['/x'], log), { ok: false, error: { kind: 'user', message: 'That folder is not a Fieldwork project.', details: null } });
  assert.deepEqual(await dispatchApiCall(wb, 'images.get', APP_FRAME, [7], log), { ok: false, error: { kind: 'not_found', message: 'No image 7.', details: null } });
  assert.deepEqual(await dispatchApiCall(wb, 'stats.get', APP_FRAME, [], log), { ok: false, error: { kind: 'internal', message: 'boom', details: null } });
  assert.equal(logged.length, 1);
  assert.ok(logged[0] instanceof TypeError);
});

test('registerIpc handles exactly the API channels plus dialog.pickPaths, each checking its sender', async () => {
  const { wb, calls } = fakeWorkbench();
  const handlers = new Map<string, (event: SenderInfo, ...args: unknown[]) => unknown>();
  const ipcMain = {
    handle: (channel: string, fn: (event: SenderInfo, ...args: unknown[]) => unknown) => {
      assert.ok(!handlers.has(channel), `registered twice: ${channel}`);
      handlers.set(channel, fn);
    },
    removeHandler: (channel: string) => handlers.delete(channel),
  };
  const picked: unknown[] = [];
  const remove = registerIpc(ipcMain, dispatcherOf(wb, () => {}), async (_e, options) => {
    picked.push(options);
    return ['/a.json'];
  }, () => {});
  assert.deepEqual([...handlers.keys()].sort(), [...allMethods, PICK_PATHS_CHANNEL].sort());

  assert.deepEqual(await handlers.get('classes.create')!(APP_FRAME, 'crack', '#ff0000'), { ok: true, value: { channel: 'classes.create', args: ['crack', '#ff0000'] } });
  const evil = { senderFrame: { url: 'https://evil.example/', parent: null } };
  assert.equal(((await handlers.get('classes.create')!(evil, 'x')) as { ok: boolean }).ok, false);
  assert.equal(calls.length, 1);

  assert.deepEqual(await handlers.get(PICK_PATHS_CHANNEL)!(APP_FRAME, { kind: 'json' }), { ok: true, value: ['/a.json'] });
  assert.equal(((await handlers.get(PICK_PATHS_CHANNEL)!(evil, { kind: 'json' })) as { ok: boolean }).ok, false);
  assert.deepEqual(picked, [{ kind: 'json' }]);

  remove();
  assert.equal(handlers.size, 0);
});

test('events go to app windows only, on channel "event" as {event, payload}', () => {
  const { wb } = fakeWorkbench();
  const sent: Record<string, unknown[]> = { app: [], other: [], dead: [], gpu: [] };
  const target = (name: string, url: string, destroyed = false) => ({
    isDestroyed: () => destroyed,
    getURL: () => url,
    send: (channel: string, message: unknown) => sent[name].push([channel, message]),
  });
  const stop = forwardEvents(wb, () => [target('app', 'fieldwork://app/index.html'), target('other', 'https://evil.example/'), target('dead', 'fieldwork://app/', true), target('gpu', 'fieldwork://app/gpu-host/index.html')]);
  for (const event of API_EVENTS) wb.emit(event, { n: 1 });
  assert.deepEqual(sent.app, API_EVENTS.map((event) => [EVENT_CHANNEL, { event, payload: { n: 1 } }]));
  assert.deepEqual(sent.other, []);
  assert.deepEqual(sent.dead, []);
  assert.deepEqual(sent.gpu, [], 'not the GPU host page');
  stop();
  wb.emit(API_EVENTS[0], {});
  assert.equal(sent.app.length, API_EVENTS.length);
});

// ---------------------------------------------------------------- fieldwork://app

function rendererFixture() {
  const base = mkdtempSync(join(tmpdir(), 'fw-main-'));
  const dist = join(base, 'renderer', 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Fieldwork</title>');
  writeFileSync(join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(base, 'secret.txt'), 'SECRET');
  mkdirSync(join(base, 'renderer', 'distant'), { recursive: true });
  writeFileSync(join(base, 'renderer', 'distant', 'x.js'), 'SECRET');
  return { base, dist, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

const TRAVERSALS = [
  'fieldwork://app/../../etc/passwd',
  'fieldwork://app/../secret.txt',
  'fieldwork://app/%2e%2e/secret.txt',
  'fieldwork://app/%2E%2E/%2E%2E/etc/passwd',
  'fieldwork://app/..%2fsecret.txt',
  'fieldwork://app/..%2f..%2f..%2f..%2fetc%2fpasswd',
  'fieldwork://app/assets/..%2f..%2fsecret.txt',
  'fieldwork://app/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
  'fieldwork://app/..%5csecret.txt',
  'fieldwork://app/%5c..%5c..%5csecret.txt',
  'fieldwork://app/%252e%252e%252fsecret.txt',
  'fieldwork://app/..%252fsecret.txt',
  'fieldwork://app/%2e%2e%2fdistant/x.js',
  'fieldwork://app/..%2fdistant%2fx.js',
  'fieldwork://app//etc/passwd',
  'fieldwork://app/%2fetc%2fpasswd',
  'fieldwork://app/index.html%00.png',
  'fieldwork://app/%c0%ae%c0%ae/secret.txt',
  'fieldwork://app/%',
  'fieldwork://app/.',
  'fieldwork://app/%2e',
  'fieldwork://evil/index.html',
  'fieldwork-media://app/index.html',
  'file:///etc/passwd',
];

test('app URLs never resolve outside renderer/dist', () => {
  const { dist, cleanup } = rendererFixture();
  try {
    for (const url of TRAVERSALS) {
      const r = resolveAppPath(dist, url);
      if (r.kind === 'file') {
        const back = relative(dist, r.path);
        assert.ok(back !== '' && back.split(/[\\/]/)[0] !== '..' && !isAbsolute(back), `${url} → ${r.path}`);
      }
    }
    assert.deepEqual(resolveAppPath(dist, 'fieldwork://app/'), { kind: 'file', path: join(dist, 'index.html'), relPath: 'index.html' });
    assert.equal(resolveAppPath(dist, 'fieldwork://app/assets/app-1234.js').kind, 'file');
    assert.equal(resolveAppPath(dist, 'fieldwork://app/../../etc/passwd').kind, 'file'); // the URL parser already dropped the dots
    assert.equal((resolveAppPath(dist, 'fieldwork://app/../../etc/passwd') as { path: string }).path, join(dist, 'etc', 'passwd'));
    assert.equal(resolveAppPath(dist, 'fieldwork://app/..%2fsecret.txt').kind, 'refused');
    assert.equal(resolveAppPath(dist, 'fieldwork://app/index.html%00.png').kind, 'refused');
    assert.equal(resolveAppPath(dist, 'fieldwork://evil/index.html').kind, 'refused');
  } finally {
    cleanup();
  }
});

test('the app protocol serves the renderer with the CSP and never another file', async () => {
  const { dist, cleanup } = rendererFixture();
  try {
    const handler = createAppProtocolHandler({ rendererDir: dist, readFile: readRegularFile });
    const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

    const index = await get('fieldwork://app/index.html');
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(index.headers.get('content-security-policy'), APP_CSP);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await index.text(), /<title>Fieldwork/);

    const asset = await get('fieldwork://app/assets/app-1234.js');
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(asset.headers.get('cache-control')!, /immutable/);
    assert.equal(asset.headers.get('content-security-policy'), APP_CSP);

    // A client-side route falls back to the app; a missing asset does not.
    assert.match(await (await get('fieldwork://app/project/images')).text(), /<title>Fieldwork/);
    assert.equal((await get('fieldwork://app/assets/missing.js')).status, 404);
    assert.equal((await get('fieldwork://app/index.html', 'POST')).status, 405);

    for (const url of TRAVERSALS.filter((u) => u.startsWith('fieldwork://'))) {
      const res = await get(url);
      const body = await res.text();
      assert.ok(!body.includes('SECRET'), url);
      assert.equal(res.headers.get('content-security-policy'), APP_CSP, url);
    }
  } finally {
    cleanup();
  }
});

test('a missing renderer build says how to build it', async () => {
  const handler = createAppProtocolHandler({ rendererDir: join(tmpdir(), 'fw-no-such-dist'), readFile: readRegularFile });
  const res = await handler(new Request('fieldwork://app/'));
  assert.equal(res.status, 503);
  assert.match(await res.text(), /npm run build:renderer/);
});

// ---------------------------------------------------------------- fieldwork-media://

test('media URLs: images or thumbs and a decimal id, nothing else', () => {
  assert.deepEqual(parseMediaUrl('fieldwork-media://images/12'), { kind: 'images', id: 12 });
  assert.deepEqual(parseMediaUrl('fieldwork-media://thumbs/3'), { kind: 'thumbs', id: 3 });
  for (const bad of [
    'fieldwork-media://images/0', 'fieldwork-media://images/-1', 'fieldwork-media://images/1.5', 'fieldwork-media://images/1e3',
    'fieldwork-media://images/12/x', 'fieldwork-media://images/../thumbs/1', 'fieldwork-media://images/%31', 'fieldwork-media://images/12?x=1',
    'fieldwork-media://images/99999999999999999', 'fieldwork-media://other/1', 'fieldwork-media://images/', 'fieldwork://images/1',
    'fieldwork-media://images/..%2f..%2fetc%2fpasswd', 'fieldwork-media://u:p@images/1',
  ]) {
    assert.equal(parseMediaUrl(bad), null, bad);
  }
});

test('the media protocol serves the file the workbench names, with CORS for the app only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-media-'));
  try {
    writeFileSync(join(dir, 'a.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
    const asked: unknown[] = [];
    const workbench = {
      project: { dir },
      mediaFile(kind: 'images' | 'thumbs', id: number) {
        asked.push([kind, id]);
        if (id === 404) throw new NotFoundError('No image 404.');
        if (id === 409) throw new UserError('No project is open; create or open one first.');
        if (id === 500) throw new Error('disk on fire');
        if (id === 7) return join(dir, 'link.jpg');
        if (id === 8) return join(dir, 'sub');
        return join(dir, id === 2 ? 'gone.jpg' : 'a.jpg');
      },
    };
    const handler = createMediaProtocolHandler({ workbench, readFile: readRegularFile, log: () => {} });
    const ok = await handler(new Request('fieldwork-media://thumbs/1'));
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'image/jpeg');
    assert.equal(ok.headers.get('access-control-allow-origin'), 'fieldwork://app');
    assert.equal(ok.headers.get('content-security-policy'), APP_CSP);
    assert.deepEqual([...new Uint8Array(await ok.arrayBuffer())], [0xff, 0xd8, 0xff, 0xe0]);
    assert.equal((await handler(new Request('fieldwork-media://images/404'))).status, 404);
    const noProject = await handler(new Request('fieldwork-media://images/409'));
    assert.equal(noProject.status, 409);
    assert.deepEqual(await noProject.json(), { error: { kind: 'user', message: 'No project is open; create or open one first.', details: null } });
    assert.equal((await handler(new Request('fieldwork-media://images/500'))).status, 500);
    assert.equal((await handler(new Request('fieldwork-media://images/2'))).status, 404);
    assert.equal((await handler(new Request('fieldwork-media://images/..%2f1'))).status, 404);
    // A symlink out of the project (to a secret), a folder, and a file over the cap are not served.
    const secret = join(mkdtempSync(join(tmpdir(), 'fw-secret-')), 'id_rsa');
    writeFileSync(secret, 'PRIVATE KEY');
    symlinkSync(secret, join(dir, 'link.jpg'));
    const linked = await handler(new Request('fieldwork-media://images/7'));
    assert.equal(linked.status, 409);
    assert.doesNotMatch(await linked.text(), /PRIVATE KEY/);
    mkdirSync(join(dir, 'sub'));
    assert.equal((await handler(new Request('fieldwork-media://images/8'))).status, 409);
    const capped = createMediaProtocolHandler({ workbench, readFile: readRegularFile, log: () => {}, maxBytes: 3 });
    assert.equal((await capped(new Request('fieldwork-media://images/1'))).status, 409);
    assert.deepEqual(asked.slice(0, 5), [['thumbs', 1], ['images', 404], ['images', 409], ['images', 500], ['images', 2]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- CSP, window, navigation, permissions

function directives(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0], d.split(/\s+/).slice(1).join(' ')]));
}

test("the app CSP is the browser mode's plus fieldwork-media: images, without WebSockets", () => {
  const app = directives(APP_CSP);
  const web = directives(contentSecurityPolicy(4321));
  assert.deepEqual([...app.keys()].sort(), [...web.keys()].sort());
  for (const [name, value] of web) {
    if (name === 'img-src') assert.equal(app.get(name), `${value} fieldwork-media:`);
    else if (name === 'connect-src') assert.equal(app.get(name), "'self'");
    else assert.equal(app.get(name), value, name);
  }
  assert.doesNotMatch(APP_CSP, /ws:|unsafe-eval|\*/);
  assert.doesNotMatch(app.get('script-src')!, /unsafe-inline/);
});

test('window options carry every security flag and a preload, and the window loads fieldwork://app', () => {
  const prefs = secureWebPreferences('/x/preload.cjs');
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.allowRunningInsecureContent, false);
  assert.equal(prefs.experimentalFeatures, false);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.preload, '/x/preload.cjs');
  assert.equal((prefs as Record<string, unknown>).enableBlinkFeatures, undefined);
  assert.deepEqual(mainWindowOptions('/x/preload.cjs').webPreferences, prefs);

  const loaded: string[] = [];
  class FakeWindow extends EventEmitter {
    static made: unknown[] = [];
    constructor(options: unknown) {
      super();
      FakeWindow.made.push(options);
    }
    loadURL(url: string) {
      loaded.push(url);
      return Promise.resolve();
    }
    show() {}
  }
  createMainWindow(FakeWindow as never, '/x/preload.cjs');
  assert.deepEqual(FakeWindow.made, [mainWindowOptions('/x/preload.cjs')]);
  assert.deepEqual(loaded, [APP_ENTRY_URL]);
  assert.ok(isAppUrl(APP_ENTRY_URL));
  assert.doesNotMatch(APP_ENTRY_URL, /^file:/);
});

test('both schemes are privileged as standard and secure; neither bypasses CSP', () => {
  assert.deepEqual(PRIVILEGED_SCHEMES.map((s) => s.scheme), ['fieldwork', 'fieldwork-media']);
  for (const s of PRIVILEGED_SCHEMES) {
    assert.equal(s.privileges?.standard, true);
    assert.equal(s.privileges?.secure, true);
    assert.notEqual(s.privileges?.bypassCSP, true);
  }
});

function fakeContents() {
  const emitter = new EventEmitter();
  let openHandler: ((d: { url: string }) => { action: string }) | null = null;
  const contents = Object.assign(emitter, {
    setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
      openHandler = fn;
    },
  });
  const navigate = (name: string, url: string, isMainFrame = true) => {
    let prevented = false;
    const event = { url, isMainFrame, preventDefault: () => (prevented = true) };
    emitter.emit(name, event, url);
    return prevented;
  };
  return { contents, navigate, open: (url: string) => openHandler!({ url }) };
}

test('navigation away from the app is blocked; http(s) links go to the OS browser after parsing', () => {
  const opened: string[] = [];
  const shell = { openExternal: async (url: string) => void opened.push(url) };
  const { contents, navigate, open } = fakeContents();
  guardWebContents(contents as never, shell, () => {});

  assert.equal(navigate('will-navigate', 'fieldwork://app/index.html#/images'), false);
  assert.equal(navigate('will-navigate', 'https://example.com/docs?q=1'), true);
  assert.equal(navigate('will-navigate', 'file:///etc/passwd'), true);
  assert.equal(navigate('will-navigate', 'javascript:alert(1)'), true);
  assert.equal(navigate('will-navigate', 'fieldwork://evil/'), true);
  assert.equal(navigate('will-redirect', 'https://example.org/'), true);
  assert.equal(navigate('will-frame-navigate', 'https://example.org/frame', false), true);
  assert.equal(navigate('will-frame-navigate', 'fieldwork://app/frame.html', false), false);
  assert.equal(navigate('will-frame-navigate', 'https://example.org/main', true), false, 'main frame is left to will-navigate');
  assert.equal(navigate('will-attach-webview', 'fieldwork://app/'), true);

  for (const url of ['https://example.com/a', 'http://example.com/b', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'https://user:pw@example.com/', 'fieldwork://app/x', 'ms-settings:']) {
    assert.deepEqual(open(url), { action: 'deny' }, url);
  }
  assert.deepEqual(opened, ['https://example.com/docs?q=1', 'https://example.org/', 'https://example.com/a', 'http://example.com/b']);
  assert.equal(externalHttpUrl('https://exa mple.com'), null);
  assert.equal(externalHttpUrl('  https://example.com'), 'https://example.com/');
});

test('every permission request and check is denied', () => {
  let request: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
  let check: (() => boolean) | undefined;
  let device: (() => boolean) | undefined;
  denyAllPermissions({
    setPermissionRequestHandler: (fn) => (request = fn as never),
    setPermissionCheckHandler: (fn) => (check = fn as never),
    setDevicePermissionHandler: (fn) => (device = fn as never),
  });
  for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fileSystem']) {
    let answer: boolean | undefined;
    request!(null, p, (ok) => (answer = ok));
    assert.equal(answer, false, p);
  }
  assert.equal(check!(), false);
  assert.equal(device!(), false);
});

// ---------------------------------------------------------------- dialogs and paths

test('pickPaths: three kinds, validated, [] on cancel', async () => {
  assert.throws(() => parsePickOptions({ kind: 'anything' }), UserError);
  assert.throws(() => parsePickOptions(null), UserError);
  assert.deepEqual(openDialogOptions('folder').properties, ['openDirectory', 'createDirectory']);
  assert.deepEqual(openDialogOptions('files').properties, ['openFile', 'multiSelections']);
  assert.deepEqual(openDialogOptions('json').filters, [{ name: 'COCO JSON', extensions: ['json'] }]);
  const seen: unknown[] = [];
  const dialog = {
    showOpenDialog: (async (...a: unknown[]) => {
      seen.push(a);
      return seen.length === 1 ? { canceled: false, filePaths: ['/d/a.png', '/d/b.png'] } : { canceled: true, filePaths: [] };
    }) as never,
  };
  assert.deepEqual(await pickPaths(dialog, null, { kind: 'files' }), ['/d/a.png', '/d/b.png']);
  assert.deepEqual(await pickPaths(dialog, null, { kind: 'folder' }), []);
  await assert.rejects(pickPaths(dialog, null, { kind: 'exe' }), UserError);
  assert.equal(seen.length, 2);
});

test('paths: repo folders in development, resourcesPath and app.asar.unpacked when packaged', () => {
  const dev = resolveAppPaths({ isPackaged: false, appPath: '/repo', resourcesPath: '/usr/lib/electron/resources', userDataDir: '/home/u/.config/Fieldwork', mainDir: '/repo/dist/electron/main' });
  assert.deepEqual(dev, {
    userDataDir: '/home/u/.config/Fieldwork',
    resourcesDir: resolve('/repo/resources'),
    rendererDir: resolve('/repo/renderer/dist'),
    preloadPath: resolve('/repo/dist/electron/preload.cjs'),
    iconPath: resolve('/repo/resources/icon.png'),
  });
  const packed = resolveAppPaths({ isPackaged: true, appPath: '/opt/Fieldwork/resources/app.asar', resourcesPath: '/opt/Fieldwork/resources', userDataDir: '/u', mainDir: '/opt/Fieldwork/resources/app.asar/dist/electron/main' });
  assert.equal(packed.resourcesDir, resolve('/opt/Fieldwork/resources'));
  assert.equal(packed.rendererDir, resolve('/opt/Fieldwork/resources/app.asar/renderer/dist'));
  assert.equal(packed.preloadPath, resolve('/opt/Fieldwork/resources/app.asar/dist/electron/preload.cjs'));
  assert.equal(packed.wasmDir, resolve('/opt/Fieldwork/resources/app.asar.unpacked/node_modules/@tensorflow/tfjs-backend-wasm/dist'));
  const env: NodeJS.ProcessEnv = {};
  trainerEnvironment(dev, env);
  assert.deepEqual(env, {});
  trainerEnvironment(packed, env);
  assert.equal(env.FIELDWORK_WASM_DIR, packed.wasmDir);
  const preset: NodeJS.ProcessEnv = { FIELDWORK_WASM_DIR: '/mine' };
  trainerEnvironment(packed, preset);
  assert.equal(preset.FIELDWORK_WASM_DIR, '/mine');
});

// ---------------------------------------------------------------- start-up with a fake Electron

function fakeElectron(options: { lock?: boolean } = {}) {
  const log: string[] = [];
  const appEvents = new EventEmitter();
  let ready!: () => void;
  const readyPromise = new Promise<void>((r) => (ready = r));
  const windows: FakeWindow[] = [];
  class FakeWindow extends EventEmitter {
    options: unknown;
    url = '';
    webContents = { isDestroyed: () => false, getURL: () => this.url, send: () => {} };
    constructor(o: unknown) {
      super();
      this.options = o;
      windows.push(this);
      log.push('new BrowserWindow');
    }
    loadURL(url: string) {
      this.url = url;
      return Promise.resolve();
    }
    show() {}
    isDestroyed() {
      return false;
    }
    static getAllWindows() {
      return windows;
    }
    static fromWebContents() {
      return windows[0] ?? null;
    }
  }
  const handlers = new Map<string, unknown>();
  const protocols = new Map<string, (r: Request) => Promise<Response>>();
  const electron = {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: () => options.lock ?? true,
      enableSandbox: () => log.push('enableSandbox'),
      quit: () => log.push('quit'),
      on: (event: string, fn: (...a: unknown[]) => void) => {
        appEvents.on(event, fn);
        return electron.app;
      },
      whenReady: () => readyPromise,
      getPath: (name: string) => (assert.equal(name, 'userData'), '/tmp/fw-user-data'),
      getAppPath: () => '/repo',
    },
    BrowserWindow: FakeWindow,
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => log.push(`privileged ${JSON.stringify((schemes as { scheme: string }[]).map((s) => s.scheme))}`),
      handle: (scheme: string, fn: (r: Request) => Promise<Response>) => {
        log.push(`handle ${scheme}`);
        protocols.set(scheme, fn);
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => log.push('permission request handler'),
        setPermissionCheckHandler: () => log.push('permission check handler'),
        setDevicePermissionHandler: () => log.push('device permission handler'),
      },
    },
    ipcMain: { handle: (c: string, fn: unknown) => handlers.set(c, fn), removeHandler: (c: string) => handlers.delete(c) },
    dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) },
    shell: { openExternal: async () => {} },
  };
  return { electron: electron as unknown as ElectronMain, log, appEvents, ready, windows, handlers, protocols };
}

test('start-up: privileged schemes before ready, then protocols, permissions, IPC and a secure window', async () => {
  const fake = fakeElectron();
  const { wb } = fakeWorkbench();
  let created = 0;
  const started = startApp(fake.electron, {
    mainDir: '/repo/dist/electron/main',
    env: {},
    platform: 'linux',
    log: () => {},
    createWorkbench: (paths) => {
      created++;
      assert.equal(paths.userDataDir, '/tmp/fw-user-data');
      return wb as never;
    },
  });
  // Synchronously, before 'ready': the schemes, and nothing that needs 'ready'.
  assert.deepEqual(fake.log, ['enableSandbox', 'privileged ["fieldwork","fieldwork-media"]']);
  assert.equal(fake.appEvents.listenerCount('web-contents-created'), 1);
  assert.equal(created, 1);
  fake.ready();
  const ctx = await started;
  assert.ok(ctx);
  assert.deepEqual(fake.log.slice(2), [
    'permission request handler', 'permission check handler', 'device permission handler',
    'handle fieldwork', 'handle fieldwork-media', 'new BrowserWindow',
  ]);
  assert.deepEqual([...fake.handlers.keys()].sort(), [...allMethods, PICK_PATHS_CHANNEL].sort());
  assert.equal(fake.windows.length, 1);
  const options = fake.windows[0].options as { webPreferences: Record<string, unknown> };
  assert.deepEqual(options.webPreferences, secureWebPreferences(resolve('/repo/dist/electron/preload.cjs')));
  assert.equal(fake.windows[0].url, 'fieldwork://app/index.html');
  for (const event of ['second-instance', 'window-all-closed', 'will-quit', 'activate']) assert.equal(fake.appEvents.listenerCount(event), 1, event);
  fake.appEvents.emit('window-all-closed');
  assert.equal(fake.log.at(-1), 'quit');
});

test('start-up: API paths over IPC are confined to what a dialog returned (and the data folder)', async () => {
  const fake = fakeElectron();
  const picked = mkdtempSync(join(tmpdir(), 'fw-picked-'));
  (fake.electron.dialog as { showOpenDialog: unknown }).showOpenDialog = async () => ({ canceled: false, filePaths: [picked] });
  const { wb, calls } = fakeWorkbench({ 'projects.recent': () => [] });
  const started = startApp(fake.electron, { mainDir: '/repo/dist/electron/main', env: {}, platform: 'linux', log: () => {}, createWorkbench: () => wb as never });
  fake.ready();
  await started;
  const invoke = (channel: string, ...args: unknown[]) => (fake.handlers.get(channel) as (e: SenderInfo, ...a: unknown[]) => Promise<IpcEnvelope>)(APP_FRAME, ...args);
  const before = await invoke('projects.open', join(picked, 'p'));
  assert.equal(before.ok, false);
  assert.match(JSON.stringify(before), /outside the folders Fieldwork may use/);
  assert.equal((await invoke('coco.export', '/home/someone/.bashrc')).ok, false);
  assert.equal((await invoke('images.import', ['/etc/passwd'])).ok, false);
  assert.equal(calls.filter((c) => c.channel !== 'projects.recent').length, 0, 'nothing reached the workbench');
  const pick = await invoke(PICK_PATHS_CHANNEL, { kind: 'folder' });
  assert.deepEqual(pick, { ok: true, value: [picked] });
  const after = await invoke('projects.create', join(picked, 'p'), 'P');
  assert.equal(after.ok, true, JSON.stringify(after));
  assert.deepEqual(calls.at(-1), { channel: 'projects.create', args: [join(picked, 'p'), 'P'] });
  assert.equal((await invoke('projects.create', join(picked, '..', 'elsewhere'))).ok, false, 'no climbing out of the picked folder');
  assert.equal((await invoke('projects.create', '/tmp/fw-user-data/demo')).ok, true, "the app's data folder is approved");
  rmSync(picked, { recursive: true, force: true });
});

test('start-up: a second instance quits before creating anything', async () => {
  const fake = fakeElectron({ lock: false });
  let created = 0;
  const ctx = await startApp(fake.electron, { mainDir: '/repo/dist/electron/main', env: {}, log: () => {}, createWorkbench: () => (created++, null as never) });
  assert.equal(ctx, null);
  assert.equal(created, 0);
  assert.deepEqual(fake.log, ['quit']);
  assert.equal(fake.handlers.size, 0);
});
