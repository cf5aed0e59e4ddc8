// The Content-Security-Policy of every response the app's protocols send. Same directives as the browser
// mode (electron/web/server.ts `contentSecurityPolicy`), except: images may also come from fieldwork-media:,
// and there is no WebSocket (events arrive over IPC), so connect-src is 'self' only.
import { MEDIA_SCHEME } from './schemes.ts';

export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Headers on every app and media response. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': APP_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

/**
 * The GPU host page's (electron/main/gpu-host.ts): its own scripts only, no network, no frames, no
 * images; WebGPU needs no CSP source.
 */
export const GPU_HOST_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');
