// What one saved edit costs on the wire: one annotations.apply (the store sets the image's status with
// it, so no images.setStatus follows), and the projectChanged it causes is refreshed with one
// projects.overview call, not one call per panel. Counted from the page's own requests.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page, Request } from 'playwright-core';
import { tempDir, writeImage } from '../helpers/tmp.ts';
import { dragImage, saved } from './canvas-gestures.ts';
import { e2eSkipReason, startE2e, type E2eSession } from './harness.ts';

const skip = e2eSkipReason();

/** API methods the page calls while `work` runs and for `settleMs` after (the refresh waits 400 ms). */
async function apiCalls(page: Page, work: () => Promise<void>, settleMs = 1500): Promise<string[]> {
  const calls: string[] = [];
  const seen = (r: Request) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/api/')) calls.push(path.slice('/api/'.length).replace('/', '.'));
  };
  page.on('request', seen);
  try {
    await work();
    await page.waitForTimeout(settleMs);
  } finally {
    page.off('request', seen);
  }
  return calls.sort();
}

describe('annotation save end to end (browser mode, headless Chromium)', { skip }, () => {
  let s: E2eSession;
  let page: Page;
  let imageId = 0;
  const dir = tempDir();

  before(async () => {
    s = await startE2e();
    page = s.page;
    const a = await writeImage(join(dir, 'a.png'), 320, 240, 4);
    const b = await writeImage(join(dir, 'b.png'), 320, 240, 5);
    await s.workbench.api.projects.create(join(dir, 'project'), 'Saving');
    await s.workbench.api.images.import([a, b]);
    await s.workbench.api.classes.create('car', '#ff0000');
    imageId = Math.min(...(await s.workbench.api.images.list()).map((i) => i.id));
    // The timing probe a benchmark installs (renderer/src/lib/annotate/probe.ts); the app has none of its own.
    await page.addInitScript(`window.__probeLog = { frame: [], painted: [], saved: [] };
      window.__fieldworkProbe = {
        frame: (ms) => window.__probeLog.frame.push(ms),
        imagePainted: (p) => window.__probeLog.painted.push(p),
        saved: (ms) => window.__probeLog.saved.push(ms),
      };`);
    await page.reload();
    // Opening an image also prefetches its neighbour's shapes once the photo is painted. Wait for both
    // lists (this image's and the neighbour's), so a slow machine's late prefetch is not counted below.
    let listed = 0;
    const countList = (r: { url(): string }) => {
      if (new URL(r.url()).pathname === '/api/annotations/list') listed++;
    };
    page.on('response', countList);
    await page.getByTestId('thumb').first().click();
    await page.waitForSelector(`[data-testid="canvas"][data-painted-image="${imageId}"]`);
    const deadline = Date.now() + 30_000;
    while (listed < 2 && Date.now() < deadline) await page.waitForTimeout(50);
    page.off('response', countList);
    assert.equal(listed, 2, 'the open image and its neighbour were listed');
  });
  after(async () => {
    await s?.close();
  });

  test('a drawn box: one apply, no second setStatus, one refresh; the shape takes the store\'s id', async () => {
    assert.equal((await s.workbench.api.images.get(imageId)).status, 'unlabelled');
    const calls = await apiCalls(page, async () => {
      await page.keyboard.press('r');
      await dragImage(page, [40, 40], [140, 120]);
      await saved(page);
    });
    assert.deepEqual(calls, ['annotations.apply', 'projects.overview']);
    assert.equal((await s.workbench.api.images.get(imageId)).status, 'in_progress', 'the store moved the status with the edit');
    // ...and the page knows it from apply's answer.
    await page.waitForSelector('[data-testid="status-in_progress"].on');
    const [stored] = await s.workbench.api.annotations.list(imageId);
    // The instance list shows the shape under the id the store gave it (not its provisional negative id).
    await page.waitForFunction((id) => document.querySelector(`[data-testid="instance"][data-id="${id}"]`) !== null, stored.id);
    // Delete and undo of the just-created shape go to the store under that id; each edit is one apply
    // and one refresh (a burst within the 400 ms the refresh waits would share it).
    for (const key of ['Delete', 'Control+z']) {
      const calls = await apiCalls(page, async () => {
        await page.keyboard.press(key);
        await saved(page);
      });
      assert.deepEqual(calls, ['annotations.apply', 'projects.overview'], key);
    }
    assert.deepEqual((await s.workbench.api.annotations.list(imageId)).map((a) => a.id), [stored.id], 'undo restored it under its stored id');
    await page.waitForSelector(`[data-testid="instance"][data-id="${stored.id}"]`);
  });

  test('an installed probe gets frame, paint and save timings (as bench/canvas.ts reads them)', async () => {
    const log = (await page.evaluate('window.__probeLog')) as { frame: number[]; painted: { imageId: number; stage: string; ms: number }[]; saved: number[] };
    assert.ok(log.frame.length > 0 && log.frame.every((ms) => ms >= 0), 'frame drawing times');
    assert.ok(log.painted.some((p) => p.imageId === imageId && p.stage === 'full' && p.ms >= 0), JSON.stringify(log.painted));
    assert.equal(log.saved.length, 3, 'one per saved edit (draw, delete, undo)');
  });

  test('a change from elsewhere (a class created outside this page) is one projects.overview', async () => {
    const calls = await apiCalls(page, async () => {
      await s.workbench.api.classes.create('bike', '#00ff00');
    });
    assert.deepEqual(calls, ['projects.overview']);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="class-name"]')].some((el) => el.textContent?.includes('bike')));
  });
});
