// Errors as data across both transports, end to end: a ConfigError thrown by the run service reaches the
// renderer's client as an ApiError of kind `config` with its details — over IPC (main's handlers, the
// preload's bridge and the renderer's IPC client, with fakes for Electron's ipcMain / ipcRenderer /
// contextBridge) and over HTTP (the real browser-mode server and the renderer's HTTP client) — and an
// unknown method is refused with the same reply by both, from the one dispatch (electron/services/dispatch.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { join } from 'node:path';
import type { WorkbenchClient } from '../../electron/api.ts';
import { dispatchApiCall, registerIpc, type SenderInfo } from '../../electron/main/ipc.ts';
import { createApiDispatcher, type ApiDispatcher } from '../../electron/services/dispatch.ts';
import { PathGuard } from '../../electron/services/path-guard.ts';
import { Workbench } from '../../electron/services/workbench.ts';
import { startWebServer, type WebServer } from '../../electron/web/server.ts';
import { ApiError } from '../../renderer/src/lib/api/errors.ts';
import { createHttpClient } from '../../renderer/src/lib/api/http.ts';
import { createIpcClient, type FieldworkBridge } from '../../renderer/src/lib/api/ipc.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

// The preload imports `electron`; give it a stand-in whose contextBridge exposes nothing (buildBridge is used directly).
const HOOKS = `
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: 'fieldwork-test:electron-none', shortCircuit: true };
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url === 'fieldwork-test:electron-none') {
    return { format: 'module', shortCircuit: true, source: 'export const contextBridge = { exposeInMainWorld() {} }; export const ipcRenderer = {};' };
  }
  return next(url, context);
}`;
register('data:text/javascript,' + encodeURIComponent(HOOKS));
const { buildBridge } = await import('../../electron/preload.ts');

const APP_FRAME: SenderInfo = { senderFrame: { url: 'fieldwork://app/index.html', parent: null } };
const BAD_MOMENTUM = { preset: 'tiny' as const, overrides: { solver: { momentum: 5 } } };
const CONFIG_DETAILS = { key: 'solver.momentum', rule: 'solver.momentum must be in [0, 0.999]', value: 5 };
const UNKNOWN = ['projects.constructor', 'images.destroy', '__proto__.toString'];

/**
 * The app's IPC path with Electron's pieces faked: ipcMain keeps the handlers registerIpc installs; the
 * preload's ipcRenderer.invoke calls them as the app frame, arguments and replies structured-cloned as IPC
 * does; the context bridge copies returned data (structured clone) and keeps only a thrown Error's message.
 */
function ipcClient(dispatch: ApiDispatcher): WorkbenchClient {
  const handlers = new Map<string, (event: SenderInfo, ...args: unknown[]) => unknown>();
  registerIpc({ handle: (channel, fn) => handlers.set(channel, fn), removeHandler: (channel) => handlers.delete(channel) }, dispatch, async () => [], () => {});
  const ipcRenderer = {
    async invoke(channel: string, ...args: unknown[]) {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
      return structuredClone(await handler(APP_FRAME, ...structuredClone(args)));
    },
    on: () => {},
    removeListener: () => {},
  };
  const bridge = buildBridge(ipcRenderer);
  const crossed: Record<string, unknown> = { on: bridge.on };
  for (const [domain, fns] of Object.entries(bridge)) {
    if (typeof fns !== 'object' || fns === null) continue;
    crossed[domain] = Object.fromEntries(Object.entries(fns as Record<string, (...a: unknown[]) => Promise<unknown>>).map(([m, fn]) => [m, async (...a: unknown[]) => {
      try {
        return structuredClone(await fn(...structuredClone(a)));
      } catch (err) {
        throw new Error((err as Error).message);
      }
    }]));
  }
  return createIpcClient(crossed as unknown as FieldworkBridge);
}

describe('errors as data over IPC and HTTP', () => {
  let workbench: Workbench;
  let server: WebServer;
  let ipcDispatch: ApiDispatcher;
  const approved = tempDir();
  const ipcLog: string[] = [];

  before(async () => {
    workbench = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
    server = await startWebServer({ workbench, staticDir: tempDir(), allow: [approved, FIXTURES] });
    ipcDispatch = createApiDispatcher(workbench.api, { guard: new PathGuard([approved, FIXTURES], 'Pick it first.'), log: (m) => ipcLog.push(m), label: 'ipc' });
    // A project with labelled train images, so runs.start gets as far as validating its config.
    await workbench.api.projects.create(join(approved, 'p'), 'p');
    await workbench.api.coco.import(join(FIXTURES, 'roboflow-mini'));
  });
  after(async () => {
    await server.close();
    workbench.close();
  });

  const clients = (): [string, WorkbenchClient][] => [
    ['ipc', ipcClient(ipcDispatch)],
    ['http', createHttpClient(server.origin, { token: server.token, media: server.mediaKey })],
  ];

  test('a ConfigError from the run service arrives as kind config with its details, over both transports', async () => {
    for (const [transport, client] of clients()) {
      await assert.rejects(client.runs.start(BAD_MOMENTUM), (err: unknown) => {
        assert.ok(err instanceof ApiError, `${transport}: ${String(err)}`);
        assert.equal(err.kind, 'config', transport);
        assert.match(err.message, /^Run config: solver\.momentum must be in \[0, 0\.999\], got 5$/, transport);
        assert.deepEqual(err.details, CONFIG_DETAILS, transport);
        return true;
      });
    }
    assert.equal((await workbench.api.runs.list()).length, 0, 'no run was recorded');
  });

  test('the HTTP reply carries the same data with status 400', async () => {
    const res = await fetch(`${server.origin}/api/runs/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fieldwork-token': server.token },
      body: JSON.stringify({ args: [BAD_MOMENTUM] }),
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.deepEqual(Object.keys(body), ['error']);
    assert.deepEqual(Object.keys(body.error).sort(), ['details', 'kind', 'message']);
    assert.equal(body.error.kind, 'config');
    assert.deepEqual(body.error.details, CONFIG_DETAILS);
  });

  test('other kinds keep theirs: user and not_found, without details; paths stay confined', async () => {
    for (const [transport, client] of clients()) {
      await assert.rejects(client.images.get(987654), (err: unknown) => err instanceof ApiError && err.kind === 'not_found' && err.details === null, transport);
      await assert.rejects(client.projects.open(join(approved, 'no-such-project')), (err: unknown) => err instanceof ApiError && err.kind === 'not_found' && /No Fieldwork project in/.test(err.message), transport);
      await assert.rejects(client.runs.start(null as never), (err: unknown) => err instanceof ApiError && err.kind === 'user' && err.message === 'Choose a preset to train.', transport);
      await assert.rejects(client.projects.open('/etc'), (err: unknown) => err instanceof ApiError && err.kind === 'user' && /outside the folders Fieldwork may use/.test(err.message), `${transport}: paths stay confined`);
    }
  });

  test('an unknown method is refused identically by both transports, before any service runs', async () => {
    for (const name of UNKNOWN) {
      const overIpc = await dispatchApiCall(ipcDispatch, name, APP_FRAME, [], () => {});
      const res = await fetch(`${server.origin}/api/${name.replace('.', '/')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-fieldwork-token': server.token },
        body: JSON.stringify({ args: [] }),
      });
      assert.equal(res.status, 404, name);
      const overHttp = await res.json();
      assert.deepEqual(overIpc, { ok: false, error: { kind: 'not_found', message: `No API method ${name}.`, details: null } }, name);
      assert.deepEqual(overHttp, { error: overIpc.ok ? null : overIpc.error }, name);
    }
    assert.deepEqual(ipcLog, UNKNOWN.map((n) => `[ipc] refused unknown method ${n}`));
    // Another spelling of a real name is not a way in.
    const dotted = await fetch(`${server.origin}/api/projects.current`, { method: 'POST', headers: { 'x-fieldwork-token': server.token } });
    assert.equal(dotted.status, 404);
    assert.equal((await dotted.json()).error.kind, 'not_found');
  });

  test('arguments that are not a list are refused by the dispatch', async () => {
    const reply = await ipcDispatch('projects.current', 'not a list');
    assert.deepEqual(reply, { ok: false, error: { kind: 'user', message: 'projects.current: the arguments must be a list.', details: null } });
  });
});
