// Preload (sandboxed, context-isolated; bundled to CommonJS as dist/electron/preload.cjs). Exposes
// `window.fieldwork`: one named function per WorkbenchApi method (exactly API_METHODS), `on(event, cb)` for
// API_EVENTS, and `pickPaths({kind})`. Never ipcRenderer itself, never a generic invoke(channel).
//
// Main answers every call with an envelope `{ok, value} | {ok, error: {name, message}}`. Only an Error's
// message crosses the context bridge (its name and other properties are dropped), so a failure is rethrown
// as Error("Error invoking remote method '<channel>': <Name>: <message>") — the form Electron itself gives
// thrown errors, which renderer/src/lib/api/ipc.ts parses back into {name, message}.
import { contextBridge, ipcRenderer } from 'electron';
import { API_EVENTS, API_METHODS, type ApiErrorPayload, type WorkbenchEvents } from './api.ts';

export const PRELOAD_EVENT_CHANNEL = 'event';
export const PRELOAD_PICK_PATHS_CHANNEL = 'dialog.pickPaths';

type Envelope = { ok: true; value: unknown } | { ok: false; error: ApiErrorPayload };

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, message: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, message: unknown) => void): unknown;
}

const KINDS = new Set(['UserError', 'NotFoundError', 'InternalError']);

function remoteError(channel: string, name: string, message: string): Error {
  const kind = KINDS.has(name) ? name : 'InternalError';
  const err = new Error(`Error invoking remote method '${channel}': ${kind}: ${message}`);
  err.name = kind;
  return err;
}

async function call(ipc: IpcRendererLike, channel: string, args: unknown[]): Promise<unknown> {
  let reply: unknown;
  try {
    reply = await ipc.invoke(channel, ...args);
  } catch (err) {
    // Transport failure (no handler, arguments that cannot be cloned): Electron's own message.
    throw new Error(err instanceof Error ? err.message : String(err));
  }
  const envelope = reply as Envelope | null;
  if (envelope && envelope.ok === true) return envelope.value;
  if (envelope && envelope.ok === false && envelope.error) throw remoteError(channel, String(envelope.error.name), String(envelope.error.message));
  throw remoteError(channel, 'InternalError', 'Malformed reply from the main process.');
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
  bridge.pickPaths = (options: { kind: 'files' | 'folder' | 'json'; title?: string }) =>
    call(ipc, PRELOAD_PICK_PATHS_CHANNEL, [options]) as Promise<string[]>;
  return bridge;
}

contextBridge.exposeInMainWorld('fieldwork', buildBridge(ipcRenderer as unknown as IpcRendererLike));
