// The browser mode's credentials in a real browser: a page on another loopback port (any local process can
// serve one) must never receive the launch token or the media key — cookies ignore the port, so the design
// keeps both out of cookies (electron/web/auth.ts). The app still works: API over the header, thumbnails
// over the media key, events over the WebSocket, and a reload keeps the session (sessionStorage).
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';
import { e2eSkipReason, startE2e } from './harness.ts';

const skip = e2eSkipReason();

describe('browser-mode credentials (headless Chromium)', { skip }, () => {
  test('a second server on another loopback port receives no token-bearing cookie or header', async () => {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const other = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>other</title><img src="/pixel.png">');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const s = await startE2e();
    try {
      const { page, server } = s;
      // The address bar no longer shows the secrets; the tab keeps them in sessionStorage, not in cookies.
      await page.getByTestId('project-dir').waitFor();
      assert.ok(!page.url().includes(server.token), `address: ${page.url()}`);
      assert.deepEqual(await page.context().cookies(), []);
      assert.ok((await page.evaluate(() => sessionStorage.getItem('fieldwork.session')))?.includes(server.token));

      // Use the app so every credential is exercised: API, events, thumbnails.
      await page.getByTestId('project-dir').fill(join(tempDir(), 'sec'));
      await page.getByTestId('create-project').click();
      await page.getByTestId('import-coco-path').fill(join(FIXTURES, 'roboflow-mini'));
      await page.getByTestId('import-coco-submit').click();
      await page.getByTestId('import-report-images').waitFor({ timeout: 60_000 });
      const width = await page.locator('[data-testid="thumb"] img').first().evaluate(async (img: HTMLImageElement) => {
        img.scrollIntoView();
        if (!img.complete) await new Promise((r) => img.addEventListener('load', r, { once: true }));
        return img.naturalWidth;
      });
      assert.ok(width > 0, 'thumbnails load over the media key');

      // The victim's browser, same profile, opens a page another local process serves, and that page
      // requests itself and the Fieldwork port.
      const tab = await page.context().newPage();
      await tab.goto(`${otherOrigin}/`);
      await tab.waitForLoadState('networkidle');
      await tab.evaluate(async (origin) => {
        await fetch(`${origin}/x`, { credentials: 'include' }).catch(() => null);
      }, otherOrigin);
      await tab.close();
      assert.ok(seen.length >= 2, `the other server saw ${seen.length} requests`);
      for (const { url, headers } of seen) {
        const all = JSON.stringify(headers) + url;
        assert.ok(!all.includes(server.token), `request ${url} carried the token: ${all}`);
        assert.ok(!all.includes(server.mediaKey), `request ${url} carried the media key: ${all}`);
        assert.equal(headers.cookie, undefined, `request ${url} carried cookies: ${headers.cookie}`);
      }

      // A page on the other port cannot call the API (no token, and no CORS grant for a custom header).
      const stolen = await page.context().newPage();
      await stolen.goto(`${otherOrigin}/`);
      const status = await stolen.evaluate(async (origin) => {
        const r = await fetch(`${origin}/api/projects/current`, { method: 'POST', credentials: 'include', body: '{"args":[]}' }).catch(() => null);
        return r ? r.status : 0;
      }, server.origin);
      assert.ok(status === 401 || status === 0, `cross-port API call answered ${status}`);
      await stolen.close();

      // A reload keeps the session (sessionStorage survives it) and the project.
      await page.reload();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="thumb"]').length === 9, undefined, { timeout: 30_000 });
      assert.deepEqual(await page.context().cookies(), []);
    } finally {
      await s.close();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});
