// The preload bridge: loaded with a fake `electron` module (a resolve/load hook), and once more as the
// bundled CommonJS file in a bare VM context, the way a sandboxed preload runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { API_EVENTS, API_METHODS } from '../../electron/api.ts';
import { apiChannels, EVENT_CHANNEL, PICK_PATHS_CHANNEL } from '../../electron/main/channels.ts';
import { createIpcClient, type FieldworkBridge } from '../../renderer/src/lib/api/ipc.ts';
import { ApiError } from '../../renderer/src/lib/api/errors.ts';

const HOOKS = `
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: 'fieldwork-test:electron', shortCircuit: true };
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url === 'fieldwork-test:electron') {
    return { format: 'module', shortCircuit: true, source: 'const e = globalThis.__fakeElectron; export const contextBridge = e.contextBridge; export const ipcRenderer = e.ipcRenderer;' };
  }
  return next(url, context);
}`;

interface Invocation { channel: string; args: unknown[] }

function fakeElectron(reply: (channel: string, args: unknown[]) => unknown = (channel, args) => ({ ok: true, value: { channel, args } })) {
  const exposed: Record<string, unknown> = {};
  const invocations: Invocation[] = [];
  const listeners = new Map<string, Set<(e: unknown, m: unknown) => void>>();
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      invocations.push({ channel, args });
      return reply(channel, args);
    },
    on(channel: string, fn: (e: unknown, m: unknown) => void) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
      return this;
    },
    removeListener(channel: string, fn: (e: unknown, m: unknown) => void) {
      listeners.get(channel)?.delete(fn);
      return this;
    },
    // Present on the real ipcRenderer; the bridge must not hand these out.
    send: () => assert.fail('send must not be used'),
    sendSync: () => assert.fail('sendSync must not be used'),
  };
  const contextBridge = {
    exposeInMainWorld(key: string, api: unknown) {
      assert.equal(key in exposed, false, 'exposed twice');
      exposed[key] = api;
    },
  };
  const emit = (channel: string, message: unknown) => {
    for (const fn of listeners.get(channel) ?? []) fn({ sender: ipcRenderer, senderId: 0 }, message);
  };
  return { electron: { contextBridge, ipcRenderer }, exposed, invocations, listeners, emit };
}

/** Every function reachable from the object, by dotted path. */
function functionPaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'function') return [prefix];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => functionPaths(v, prefix ? `${prefix}.${k}` : k));
}

const EXPECTED_PATHS = [...Object.entries(API_METHODS).flatMap(([d, ms]) => ms.map((m) => `${d}.${m}`)), 'on', 'pickPaths'].sort();

function checkBridge(bridge: Record<string, unknown>) {
  assert.deepEqual(Object.keys(bridge).sort(), [...Object.keys(API_METHODS), 'on', 'pickPaths'].sort());
  for (const [domain, methods] of Object.entries(API_METHODS)) {
    assert.deepEqual(Object.keys(bridge[domain] as object).sort(), [...methods].sort(), domain);
  }
  assert.deepEqual(functionPaths(bridge).sort(), EXPECTED_PATHS);
  const flat = JSON.stringify(functionPaths(bridge));
  assert.doesNotMatch(flat, /invoke|ipcRenderer|send|require/);
}

const fake = fakeElectron((channel, args) => {
  if (channel === 'classes.delete') return { ok: false, error: { kind: 'user', message: 'Class 3 is in use: pick a class to move its 12 annotations to.', details: null } };
  if (channel === 'images.get') return { ok: false, error: { kind: 'not_found', message: 'No image 99.', details: null } };
  if (channel === 'stats.get') return { ok: false, error: { kind: 'internal', message: 'database disk image is malformed', details: null } };
  if (channel === 'runs.start') return { ok: false, error: { kind: 'config', message: 'Run config: solver.momentum must be in [0, 0.999], got 5', details: { key: 'solver.momentum', rule: 'solver.momentum must be in [0, 0.999]', value: 5 } } };
  if (channel === 'runs.get') return { ok: false, error: { kind: 'teapot', message: 'odd' } };
  if (channel === 'projects.current') return 'not an envelope';
  if (channel === 'projects.recent') throw new Error("Error invoking remote method 'projects.recent': Error: No handler registered for 'projects.recent'");
  return { ok: true, value: { channel, args } };
});
(globalThis as Record<string, unknown>).__fakeElectron = fake.electron;
register('data:text/javascript,' + encodeURIComponent(HOOKS));
const preload = await import('../../electron/preload.ts');
const bridge = fake.exposed.fieldwork as Record<string, unknown>;

test('exposes exactly window.fieldwork with the API names, on and pickPaths', () => {
  assert.deepEqual(Object.keys(fake.exposed), ['fieldwork']);
  checkBridge(bridge);
});

const ERRING = ['classes.delete', 'images.get', 'stats.get', 'runs.start', 'runs.get', 'projects.current', 'projects.recent'];

test('every API function invokes its own channel with its arguments', async () => {
  fake.invocations.length = 0;
  for (const { channel, domain, method } of apiChannels()) {
    if (ERRING.includes(channel)) continue;
    const fn = (bridge[domain] as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
    assert.deepEqual(await fn(1, 'two', { three: [3] }), { ok: true, value: { channel, args: [1, 'two', { three: [3] }] } });
  }
  assert.deepEqual(fake.invocations.map((i) => i.channel), apiChannels().map((c) => c.channel).filter((c) => !ERRING.includes(c)));
  const create = (bridge.projects as Record<string, (...a: unknown[]) => Promise<unknown>>).create;
  fake.invocations.length = 0;
  await create('/data/p');
  assert.deepEqual(fake.invocations, [{ channel: 'projects.create', args: ['/data/p'] }]);
});

test('channel names agree with main', () => {
  assert.equal(preload.PRELOAD_EVENT_CHANNEL, EVENT_CHANNEL);
  assert.equal(preload.PRELOAD_PICK_PATHS_CHANNEL, PICK_PATHS_CHANNEL);
});

test('errors arrive as data {kind, message, details}, never as a string to parse', async () => {
  const classes = bridge.classes as Record<string, (...a: unknown[]) => Promise<unknown>>;
  assert.deepEqual(await classes.delete(3, null), {
    ok: false,
    error: { kind: 'user', message: 'Class 3 is in use: pick a class to move its 12 annotations to.', details: null },
  });
  const projects = bridge.projects as Record<string, (...a: unknown[]) => Promise<unknown>>;
  assert.deepEqual(await projects.current(), { ok: false, error: { kind: 'internal', message: 'Malformed reply from the main process.', details: null } });
  // A transport failure (no handler in main): Electron's own message, as an internal error.
  assert.deepEqual(await projects.recent(), {
    ok: false,
    error: { kind: 'internal', message: "Error invoking remote method 'projects.recent': Error: No handler registered for 'projects.recent'", details: null },
  });
  const runs = bridge.runs as Record<string, (...a: unknown[]) => Promise<unknown>>;
  assert.deepEqual(await runs.get('r1'), { ok: false, error: { kind: 'internal', message: 'odd', details: null } }, 'an unknown kind is internal');

  // Across the context bridge a returned plain object is copied whole (structured clone) and a thrown Error
  // keeps only its message; the renderer's client gets the kind and the details from the data.
  const crossed: Record<string, unknown> = {};
  for (const [domain, fns] of Object.entries(bridge)) {
    if (typeof fns !== 'object' || fns === null) continue;
    crossed[domain] = Object.fromEntries(Object.entries(fns as Record<string, (...a: unknown[]) => Promise<unknown>>).map(([m, fn]) => [m, async (...a: unknown[]) => {
      try {
        return structuredClone(await fn(...a));
      } catch (err) {
        throw new Error((err as Error).message);
      }
    }]));
  }
  crossed.on = bridge.on;
  const client = createIpcClient(crossed as unknown as FieldworkBridge);
  for (const [call, kind, message, details] of [
    [() => client.classes.delete(3, null), 'user', 'Class 3 is in use: pick a class to move its 12 annotations to.', null],
    [() => client.images.get(99), 'not_found', 'No image 99.', null],
    [() => client.stats.get(), 'internal', 'database disk image is malformed', null],
    [() => client.runs.start({ preset: 'tiny' }), 'config', 'Run config: solver.momentum must be in [0, 0.999], got 5', { key: 'solver.momentum', rule: 'solver.momentum must be in [0, 0.999]', value: 5 }],
    [() => client.projects.current(), 'internal', 'Malformed reply from the main process.', null],
  ] as const) {
    await assert.rejects(call(), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.kind, kind);
      assert.equal(err.message, message);
      assert.deepEqual(err.details, details);
      return true;
    });
  }
  assert.deepEqual(await client.projects.create('/data/p', 'P'), { channel: 'projects.create', args: ['/data/p', 'P'] }, 'a success is the value itself');
});

test('on(event) delivers that event\'s payload only, and unsubscribes', () => {
  const on = bridge.on as (e: string, cb: (p: unknown) => void) => () => void;
  assert.throws(() => on('ipc', () => {}), /Unknown event/);
  assert.throws(() => on('__proto__', () => {}), /Unknown event/);
  const got: unknown[] = [];
  const off = on(API_EVENTS[0], (payload) => got.push(payload));
  fake.emit(EVENT_CHANNEL, { event: API_EVENTS[0], payload: { done: 1, total: 2, job: 'images' } });
  fake.emit(EVENT_CHANNEL, { event: 'somethingElse', payload: 1 });
  fake.emit('other-channel', { event: API_EVENTS[0], payload: 2 });
  assert.deepEqual(got, [{ done: 1, total: 2, job: 'images' }]);
  off();
  assert.equal(fake.listeners.get(EVENT_CHANNEL)?.size, 0);
  fake.emit(EVENT_CHANNEL, { event: API_EVENTS[0], payload: 3 });
  assert.equal(got.length, 1);
});

test('pickPaths invokes dialog.pickPaths', async () => {
  fake.invocations.length = 0;
  await (bridge.pickPaths as (o: unknown) => Promise<unknown>)({ kind: 'folder' });
  assert.deepEqual(fake.invocations, [{ channel: 'dialog.pickPaths', args: [{ kind: 'folder' }] }]);
});

test('the bundled preload is CommonJS that needs nothing but electron', async () => {
  const { bundleElectron } = await import('../../build/bundle-electron.mjs');
  const out = mkdtempSync(join(tmpdir(), 'fw-bundle-'));
  try {
    await bundleElectron({ quiet: true, outDir: out });
    const code = readFileSync(join(out, 'preload.cjs'), 'utf8');
    assert.doesNotMatch(code, /^\s*import\s/m);
    const second = fakeElectron();
    const required: string[] = [];
    const sandbox = {
      module: { exports: {} },
      exports: {},
      require: (name: string) => {
        required.push(name);
        if (name === 'electron') return second.electron;
        throw new Error(`a sandboxed preload cannot require ${name}`);
      },
    };
    vm.runInNewContext(code, sandbox, { filename: 'preload.cjs' });
    assert.deepEqual([...new Set(required)], ['electron']);
    checkBridge(second.exposed.fieldwork as Record<string, unknown>);
    const images = (second.exposed.fieldwork as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>).images;
    await images.import(['/a.png']);
    assert.deepEqual(second.invocations, [{ channel: 'images.import', args: [['/a.png']] }]);

    const main = readFileSync(join(out, 'main', 'index.js'), 'utf8');
    const imports = [...main.matchAll(/^import .* from "([^"]+)";?$/gm)].map((m) => m[1]);
    for (const spec of imports) assert.ok(spec.startsWith('node:') || ['electron', 'better-sqlite3', 'sharp'].includes(spec) || spec.startsWith('@tensorflow/'), spec);
    assert.ok(imports.includes('electron'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
