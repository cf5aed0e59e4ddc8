// Preload (sandboxed, context-isolated; bundled to CommonJS as dist/electron/preload.cjs). Exposes
// `window.fieldwork`: one named function per WorkbenchApi method (exactly API_METHODS), `on(event, cb)` for
// API_EVENTS, and `pickPaths({kind})`. Never ipcRenderer itself, never a generic invoke(channel).
//
// Main answers every call with an envelope `{ok, value} | {ok: false, error: {kind, message, details}}`
// (ApiReply). Each function resolves to that envelope as plain data, checked here: across the context bridge
// a thrown Error keeps only its message, while a plain object is copied whole, so the kind and the details
// reach the renderer's client (renderer/src/lib/api/ipc.ts), which throws its typed ApiError from them.
import { contextBridge, ipcRenderer } from 'electron';
import { API_ERROR_KINDS, API_EVENTS, API_METHODS, type ApiErrorKind, type ApiReply, type WorkbenchEvents } from './api.ts';

export const PRELOAD_EVENT_CHANNEL = 'event';
export const PRELOAD_PICK_PATHS_CHANNEL = 'dialog.pickPaths';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, message: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, message: unknown) => void): unknown;
}

function internal(message: string): ApiReply {
  return { ok: false, error: { kind: 'internal', message, details: null } };
}

/** Main's reply as a fresh plain envelope, or an internal error when it is not one. */
function checkedReply(reply: unknown): ApiReply {
  const r = reply as { ok?: unknown; value?: unknown; error?: { kind?: unknown; message?: unknown; details?: unknown } } | null;
  if (r && typeof r === 'object' && r.ok === true) return { ok: true, value: r.value ?? null };
  if (r && typeof r === 'object' && r.ok === false && r.error && typeof r.error === 'object') {
    const kind = (API_ERROR_KINDS as readonly unknown[]).includes(r.error.kind) ? (r.error.kind as ApiErrorKind) : 'internal';
    const details = r.error.details && typeof r.error.details === 'object' ? (r.error.details as Record<string, unknown>) : null;
    return { ok: false, error: { kind, message: String(r.error.message ?? ''), details } };
  }
  return internal('Malformed reply from the main process.');
}

async function call(ipc: IpcRendererLike, channel: string, args: unknown[]): Promise<ApiReply> {
  let reply: unknown;
  try {
    reply = await ipc.invoke(channel, ...args);
  } catch (err) {
    // Transport failure (no handler, arguments that cannot be cloned): Electron's own message.
    return internal(err instanceof Error ? err.message : String(err));
  }
  return checkedReply(reply);
}

export function buildBridge(ipc: IpcRendererLike) {
  const bridge: Record<string, unknown> = {};
  for (const [domain, methods] of Object.entries(API_METHODS)) {
    const functions: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of methods) {
      const channel = `${domain}.${method}`;
      functions[method] = (...args: unknown[]) => call(ipc, channel, args);
    }
    bridge[domain] = functions;
  }
  const events = new Set<string>(API_EVENTS);
  bridge.on = <E extends keyof WorkbenchEvents>(event: E, callback: (payload: WorkbenchEvents[E]) => void): (() => void) => {
    if (!events.has(event)) throw new Error(`Unknown event ${String(event)}; expected one of ${API_EVENTS.join(', ')}.`);
    if (typeof callback !== 'function') throw new Error('on(event, callback) needs a callback function.');
    // The IpcRendererEvent (which holds a reference to ipcRenderer) never reaches the page.
    const listener = (_event: unknown, message: unknown) => {
      const m = message as { event?: unknown; payload?: unknown } | null;
      if (m && m.event === event) callback(m.payload as WorkbenchEvents[E]);
    };
    ipc.on(PRELOAD_EVENT_CHANNEL, listener);
    return () => {
      ipc.removeListener(PRELOAD_EVENT_CHANNEL, listener);
    };
  };
  bridge.pickPaths = (options: { kind: 'files' | 'folder' | 'json'; title?: string }) => call(ipc, PRELOAD_PICK_PATHS_CHANNEL, [options]);
  return bridge;
}

contextBridge.exposeInMainWorld('fieldwork', buildBridge(ipcRenderer as unknown as IpcRendererLike));
