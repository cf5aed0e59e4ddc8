// IPC channel names. The API's are exactly `<domain>.<method>` for the names in API_METHODS (the table
// services/dispatch.ts keeps for both transports); two more: `event` (main → window, `{event, payload}`)
// and `dialog.pickPaths` (native open dialog).
// electron/preload.ts forms the same names on its side; test/electron/preload.test.ts checks they agree.
import type { WorkbenchApi } from '../api.ts';
import { apiMethods, lookupApiMethod } from '../services/dispatch.ts';

export const EVENT_CHANNEL = 'event';
export const PICK_PATHS_CHANNEL = 'dialog.pickPaths';

export interface ApiChannel {
  channel: string;
  domain: keyof WorkbenchApi;
  method: string;
}

/** One entry per API method, in API_METHODS order. */
export function apiChannels(): ApiChannel[] {
  return apiMethods().map(({ name, domain, method }) => ({ channel: name, domain, method }));
}

/** The API method a channel names, or null when it names none (anything not listed in API_METHODS). */
export function lookupChannel(channel: unknown): ApiChannel | null {
  const found = lookupApiMethod(channel);
  return found ? { channel: found.name, domain: found.domain, method: found.method } : null;
}
