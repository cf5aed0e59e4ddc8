// Electron transport: the preload exposes the WorkbenchApi as `window.fieldwork` (named functions only),
// plus `on(event, cb) → unsubscribe`. Each function resolves to main's reply as data (ApiReply); this client
// returns its value or throws an ApiError built from its `{kind, message, details}`. Images come through the
// fieldwork-media: protocol.
import type { ApiReply, WorkbenchApi, WorkbenchClient, WorkbenchEvents, Unsubscribe } from '../../../../electron/api.ts';
import { ApiError, errorMessage, unwrapReply } from './errors.ts';

/** What electron/preload.ts exposes: every API method answering with an ApiReply instead of its value. */
export type FieldworkBridge = {
  [D in keyof WorkbenchApi]: { [M in keyof WorkbenchApi[D]]: (...args: unknown[]) => Promise<ApiReply> };
} & {
  on<E extends keyof WorkbenchEvents>(event: E, listener: (payload: WorkbenchEvents[E]) => void): Unsubscribe;
  pickPaths(options: { kind: 'files' | 'folder' | 'json'; title?: string }): Promise<ApiReply<string[]>>;
};

declare global {
  interface Window {
    fieldwork?: FieldworkBridge;
  }
}

export function createIpcClient(bridge: FieldworkBridge): WorkbenchClient {
  const client: Record<string, unknown> = {};
  for (const [domain, functions] of Object.entries(bridge)) {
    if (typeof functions !== 'object' || functions === null) continue;
    const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const [method, fn] of Object.entries(functions as Record<string, (...a: unknown[]) => Promise<unknown>>)) {
      const what = `${domain}.${method}`;
      wrapped[method] = async (...args) => {
        let reply: unknown;
        try {
          reply = await fn(...args);
        } catch (err) {
          // The bridge itself failed (arguments it cannot copy): only a message is left.
          throw new ApiError({ kind: 'internal', message: errorMessage(err), details: null });
        }
        return unwrapReply(reply, what);
      };
    }
    client[domain] = wrapped;
  }
  client.on = bridge.on.bind(bridge);
  client.imageUrl = (imageId: number, variant: 'full' | 'thumb') =>
    `fieldwork-media://${variant === 'full' ? 'images' : 'thumbs'}/${imageId}`;
  return client as unknown as WorkbenchClient;
}
