// Electron transport: the preload exposes the WorkbenchApi as `window.fieldwork` (named functions only),
// plus `on(event, cb) → unsubscribe`. Images come through the fieldwork-media: protocol.
import type { WorkbenchApi, WorkbenchClient, WorkbenchEvents, Unsubscribe } from '../../../../electron/api.ts';
import { ApiError } from './errors.ts';

export interface FieldworkBridge extends WorkbenchApi {
  on<E extends keyof WorkbenchEvents>(event: E, listener: (payload: WorkbenchEvents[E]) => void): Unsubscribe;
}

declare global {
  interface Window {
    fieldwork?: FieldworkBridge;
  }
}

const KINDS = ['UserError', 'NotFoundError', 'InternalError'] as const;

/** Electron prefixes errors thrown in main ("Error invoking remote method 'x': UserError: ..."); strip that. */
function unwrapIpcError(err: unknown): ApiError {
  const raw = err instanceof Error ? err.message : String(err);
  const match = /^Error invoking remote method '[^']*': (?:(\w+): )?([\s\S]*)$/.exec(raw);
  const name = (match?.[1] ?? (err instanceof Error ? err.name : '')) as (typeof KINDS)[number];
  return new ApiError({ name: KINDS.includes(name) ? name : 'InternalError', message: match?.[2] ?? raw });
}

export function createIpcClient(bridge: FieldworkBridge): WorkbenchClient {
  const client: Record<string, unknown> = {};
  for (const [domain, functions] of Object.entries(bridge)) {
    if (typeof functions !== 'object' || functions === null) continue;
    const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const [method, fn] of Object.entries(functions as Record<string, (...a: unknown[]) => Promise<unknown>>)) {
      wrapped[method] = async (...args) => {
        try {
          return await fn(...args);
        } catch (err) {
          throw unwrapIpcError(err);
        }
      };
    }
    client[domain] = wrapped;
  }
  client.on = bridge.on.bind(bridge);
  client.imageUrl = (imageId: number, variant: 'full' | 'thumb') =>
    `fieldwork-media://${variant === 'full' ? 'images' : 'thumbs'}/${imageId}`;
  return client as unknown as WorkbenchClient;
}
