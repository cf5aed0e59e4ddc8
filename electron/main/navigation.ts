// Navigation, new windows and webviews: the app never navigates away from fieldwork://app, never opens a
// second window, never attaches a <webview>. An http(s) link the user clicks opens in the OS browser,
// after the URL parser has confirmed it is one.
import type { Shell, WebContents } from 'electron';
import { isAppUrl, parseUrl } from './schemes.ts';

/** The URL to hand to the OS browser, or null: http(s) only, no credentials in it. */
export function externalHttpUrl(raw: unknown): string | null {
  const url = parseUrl(raw);
  if (!url) return null;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password || !url.hostname) return null;
  return url.href;
}

type OpenExternal = Pick<Shell, 'openExternal'>;

/** Wires the guards on one WebContents (called from app 'web-contents-created', so every one gets them). */
export function guardWebContents(contents: WebContents, shell: OpenExternal, log: (m: string) => void = console.warn): void {
  const block = (event: { preventDefault(): void }, url: string) => {
    // Reloads and in-app links stay inside the app; everything else is stopped.
    if (isAppUrl(url)) return;
    event.preventDefault();
    const external = externalHttpUrl(url);
    if (external) void shell.openExternal(external);
    else log(`[navigation] blocked ${url}`);
  };
  contents.on('will-navigate', block);
  contents.on('will-redirect', block);
  // Sub-frames (the app has none; CSP and the guards keep it so): never anywhere but the app. The main
  // frame is will-navigate's, which also hands http(s) links to the OS browser.
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame && !isAppUrl(event.url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalHttpUrl(url);
    if (external) void shell.openExternal(external);
    else log(`[navigation] blocked window.open(${url})`);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
