// IPC: one ipcMain.handle per API method (the channel table from API_METHODS) plus dialog.pickPaths.
// Every message is checked before anything runs: the sending frame must be a top-level frame showing
// fieldwork://app. The call itself goes to the dispatch both transports share (services/dispatch.ts), and
// its reply travels back as data, `{ok, value} | {ok: false, error: {kind, message, details}}`: Electron
// would flatten a thrown error to a string (and log it as a crash).
import type { ApiReply, WorkbenchApi, WorkbenchEvents } from '../api.ts';
import { API_EVENTS } from '../api.ts';
import { type ApiDispatcher, settle } from '../services/dispatch.ts';
import { ForbiddenError, toErrorPayload } from '../services/errors.ts';
import { apiChannels, EVENT_CHANNEL, PICK_PATHS_CHANNEL } from './channels.ts';
import { GPU_HOST_MOUNT, isAppUrl } from './schemes.ts';

export type IpcEnvelope = ApiReply;

/** The part of an IpcMainInvokeEvent the checks read. */
export interface SenderInfo {
  senderFrame?: { url: string; parent: unknown | null } | null;
}

/**
 * True for the app's own pages, not the GPU host page: that one is served from the same origin
 * (fieldwork://app/gpu-host/) but computes for the trainer only, so it gets neither the API nor events.
 */
export function isAppWindowUrl(raw: unknown): boolean {
  if (!isAppUrl(raw)) return false;
  return !new URL(String(raw)).pathname.toLowerCase().replace(/\/{2,}/g, '/').startsWith(`/${GPU_HOST_MOUNT}/`);
}

/** True when the message comes from the app's own top-level frame (not the GPU host page). */
export function isTrustedSender(event: SenderInfo): boolean {
  const frame = event.senderFrame;
  if (!frame) return false; // frame gone (navigated or destroyed) before we looked
  if (frame.parent !== null && frame.parent !== undefined) return false;
  return isAppWindowUrl(frame.url);
}

export interface WorkbenchLike {
  api: WorkbenchApi;
  on<E extends keyof WorkbenchEvents>(event: E, listener: (payload: WorkbenchEvents[E]) => void): () => void;
}

export type Log = (message: string, err?: unknown) => void;

function refusedSender(channel: string, event: SenderInfo, log: Log): IpcEnvelope {
  log(`[ipc] refused ${channel}: sender ${event.senderFrame?.url ?? '(no frame)'} is not the app`);
  return { ok: false, error: toErrorPayload(new ForbiddenError('Refused: this call did not come from the Fieldwork window.')) };
}

/**
 * Runs one API call for an IPC message: checks the sender, then hands the channel and arguments to the
 * shared dispatch. Never throws.
 */
export async function dispatchApiCall(dispatch: ApiDispatcher, channel: string, event: SenderInfo, args: unknown[], log: Log = console.error): Promise<IpcEnvelope> {
  if (!isTrustedSender(event)) return refusedSender(channel, event, log);
  return dispatch(channel, args);
}

export interface IpcMainLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handle(channel: string, listener: (event: SenderInfo, ...args: any[]) => unknown): void;
  removeHandler(channel: string): void;
}

export type PickPaths = (event: SenderInfo, options: unknown) => Promise<string[]>;

/** Registers the API channels and dialog.pickPaths; returns a function that removes them all. */
export function registerIpc(ipcMain: IpcMainLike, dispatch: ApiDispatcher, pickPaths: PickPaths, log: Log = console.error): () => void {
  const channels = apiChannels().map((c) => c.channel);
  for (const channel of channels) {
    ipcMain.handle(channel, (event: SenderInfo, ...args: unknown[]) => dispatchApiCall(dispatch, channel, event, args, log));
  }
  ipcMain.handle(PICK_PATHS_CHANNEL, async (event: SenderInfo, options: unknown): Promise<IpcEnvelope> => {
    if (!isTrustedSender(event)) return refusedSender(PICK_PATHS_CHANNEL, event, log);
    return settle(`[ipc] ${PICK_PATHS_CHANNEL}`, () => pickPaths(event, options), log);
  });
  return () => {
    for (const channel of [...channels, PICK_PATHS_CHANNEL]) ipcMain.removeHandler(channel);
  };
}

/** Where events go: the web contents of the app's windows. */
export interface EventTarget {
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, message: unknown): void;
}

/** Forwards every API event to every live app window on the `event` channel; returns the unsubscriber. */
export function forwardEvents(workbench: WorkbenchLike, targets: () => EventTarget[]): () => void {
  const unsubscribers = API_EVENTS.map((event) =>
    workbench.on(event, (payload) => {
      for (const target of targets()) {
        if (!target.isDestroyed() && isAppWindowUrl(target.getURL())) target.send(EVENT_CHANNEL, { event, payload });
      }
    }),
  );
  return () => unsubscribers.forEach((u) => u());
}
