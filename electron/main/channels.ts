// IPC channel names. The API's are exactly `<domain>.<method>` for the names in API_METHODS; two more:
// `event` (main → window, `{event, payload}`) and `dialog.pickPaths` (native open dialog).
// electron/preload.ts forms the same names on its side; test/electron/preload.test.ts checks they agree.
import { API_METHODS, type WorkbenchApi } from '../api.ts';

export const EVENT_CHANNEL = 'event';
export const PICK_PATHS_CHANNEL = 'dialog.pickPaths';

export interface ApiChannel {
  channel: string;
  domain: keyof WorkbenchApi;
  method: string;
}

/** One entry per API method, in API_METHODS order. */
export function apiChannels(): ApiChannel[] {
  return (Object.keys(API_METHODS) as (keyof WorkbenchApi)[]).flatMap((domain) =>
    API_METHODS[domain].map((method) => ({ channel: `${domain}.${method}`, domain, method: method as string })),
  );
}

/** The API method a channel names, or null when it names none (anything not listed in API_METHODS). */
export function lookupChannel(channel: unknown): ApiChannel | null {
  if (typeof channel !== 'string') return null;
  return apiChannels().find((c) => c.channel === channel) ?? null;
}
