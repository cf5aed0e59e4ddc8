// End-to-end harness: the browser-mode server in this process and Debian's Chromium driven by
// playwright-core. Tests need the renderer built (`npm test` builds it first).
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Workbench } from '../../electron/services/workbench.ts';
import { startWebServer, type WebServer } from '../../electron/web/server.ts';
import { createUploadRoutes } from '../../electron/web/uploads.ts';
import { SHARED_WAGON, tempDir } from '../helpers/tmp.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RENDERER_DIST = join(root, 'renderer', 'dist');
export const RESULTS_DIR = join(root, 'test-results');

/** Why e2e tests cannot run here, or false when they can. */
export function e2eSkipReason(): string | false {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(join(RENDERER_DIST, 'index.html'))) return 'renderer not built (npm run build:renderer)';
  return false;
}

export interface E2eSession {
  workbench: Workbench;
  server: WebServer;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
  screenshot(name: string): Promise<string>;
}

export async function startE2e(options: { viewport?: { width: number; height: number } } = {}): Promise<E2eSession> {
  const userDataDir = tempDir();
  const workbench = new Workbench({ userDataDir, resourcesDir: join(root, 'resources') });
  // Approved folders: the temp folders tests create and the committed fixtures (as `npm run web -- --allow` would).
  const server = await startWebServer({
    workbench,
    staticDir: RENDERER_DIST,
    allow: [tmpdir(), join(root, 'test', 'fixtures'), SHARED_WAGON],
    // The picker / drag-and-drop uploads, staged in the data folder as `npm run web` does.
    routes: { uploads: createUploadRoutes({ stagingRoot: join(userDataDir, 'uploads') }) },
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  // One context (one profile), so a test can open more tabs in it (as another site would in the same browser).
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // The launch URL carries the token in its fragment; the page moves it to sessionStorage.
  await page.goto(server.url);
  mkdirSync(RESULTS_DIR, { recursive: true });
  return {
    workbench,
    server,
    browser,
    page,
    async screenshot(name) {
      const path = join(RESULTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: false });
      return path;
    },
    async close() {
      await browser.close();
      await server.close();
      workbench.close();
      if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    },
  };
}
