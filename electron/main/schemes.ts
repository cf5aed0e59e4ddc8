// The app's two URL schemes. The window loads `fieldwork://app/…` (the built renderer) instead of file://,
// and reads image bytes from `fieldwork-media://images/<id>` and `fieldwork-media://thumbs/<id>`.
// Both are registered as standard + secure so relative URLs, origins, storage and fetch behave as on https.
import type { CustomScheme } from 'electron';

export const APP_SCHEME = 'fieldwork';
export const APP_HOST = 'app';
/** What the window loads first. */
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;
export const MEDIA_SCHEME = 'fieldwork-media';
/**
 * The GPU host page's folder under the app's origin (`fieldwork://app/gpu-host/`; electron/main/gpu-host.ts):
 * served by the app's protocol from dist/electron/gpu-host, refused as an API sender (electron/main/ipc.ts).
 */
export const GPU_HOST_MOUNT = 'gpu-host';

export const PRIVILEGED_SCHEMES: CustomScheme[] = [
  // corsEnabled + supportFetchAPI: Vite emits `<script type="module" crossorigin>`, which is fetched in CORS mode.
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
  // corsEnabled: media responses carry Access-Control-Allow-Origin for the app, so a canvas that draws them stays clean.
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } },
];

/** Parses a URL without throwing; null when it is not a URL. */
export function parseUrl(raw: unknown): URL | null {
  if (typeof raw !== 'string') return null;
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/**
 * True for URLs of the app itself (`fieldwork://app/…`). Compares scheme and host rather than `URL.origin`,
 * which WHATWG URL (and so Node) reports as "null" for schemes it does not know to be special.
 */
export function isAppUrl(raw: unknown): boolean {
  const url = parseUrl(raw);
  return url !== null && url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === '' && url.port === '';
}
