// The review screen as a user triages a run's predictions (browser mode, headless Chromium): pre-labels on an
// image with no labels are unverified suggestions (their own dotted grey style, no FP), an accepted prediction
// shows as accepted and under Show: accepted, a rejected one stays findable under Show: rejected and can be
// restored, and a stack of boxes gets captions that never overlap, with class and score on hover.
// The run's predictions are written into the project's store directly (as `fieldwork-train predict` would
// have), so the test needs no training; the review service's matching is what is under test here.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';
import { FP_COLOR, UNVERIFIED_COLOR } from '../../renderer/src/lib/review/prediction-style.ts';
import { e2eSkipReason } from './harness.ts';
import { withE2e } from './helpers/session.ts';

const skip = e2eSkipReason();
const RUN = 'review-e2e';
type Box = [number, number, number, number];

/** Pixels along a box's top edge (image px → canvas px through the view), as [r, g, b] triples. */
async function topEdgePixels(page: Page, bbox: Box): Promise<number[][]> {
  return page.evaluate((b) => {
    const wrap = document.querySelector('[data-testid="review-canvas"]') as HTMLElement;
    const canvas = wrap.querySelector('canvas')!;
    const [scale, ox, oy] = wrap.dataset.view!.split(',').map(Number);
    const dpr = canvas.width / canvas.clientWidth;
    const x0 = Math.round((ox + b[0] * scale) * dpr), x1 = Math.round((ox + (b[0] + b[2]) * scale) * dpr);
    const y = Math.round((oy + b[1] * scale) * dpr);
    const data = canvas.getContext('2d')!.getImageData(x0, y - 1, x1 - x0, 3).data;
    const out: number[][] = [];
    for (let i = 0; i < data.length; i += 4) out.push([data[i], data[i + 1], data[i + 2]]);
    return out;
  }, bbox);
}

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const near = (px: number[], hex: string, tol = 24) => rgb(hex).every((c, i) => Math.abs(c - px[i]) <= tol);

async function waitForEdge(page: Page, bbox: Box, hex: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pixels = await topEdgePixels(page, bbox);
    if (pixels.some((p) => near(p, hex))) return pixels;
    if (Date.now() > deadline) throw new Error(`no ${hex} on the top edge of ${bbox}: ${JSON.stringify(pixels.slice(0, 6))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Moves the pointer to image point (x, y) on the review canvas. */
async function hoverAt(page: Page, x: number, y: number) {
  const wrap = page.getByTestId('review-canvas');
  const [scale, ox, oy] = ((await wrap.getAttribute('data-view')) ?? '').split(',').map(Number);
  const box = (await wrap.boundingBox())!;
  await page.mouse.move(box.x + ox + x * scale, box.y + oy + y * scale);
}

async function chooseShow(page: Page, value: string) {
  await page.getByTestId('review-show').selectOption(value);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

const showCount = (page: Page, value: string) => page.locator(`[data-testid="review-show"] option[value="${value}"]`).getAttribute('data-count');

describe('review triage (browser mode)', { skip }, () => {
  test('pre-labels are unverified, accepted and rejected stay findable, captions never pile up', async () => {
    await withE2e(async (page, s) => {
      const api = s.workbench.api;
      await api.projects.create(join(tempDir(), 'review'), 'Review');
      await api.coco.import(join(FIXTURES, 'roboflow-mini'));
      const plain = join(tempDir(), 'plain');
      mkdirSync(plain);
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#303030' } }).png().toFile(join(plain, 'unlabelled-wagon.png'));
      const [unlabelled] = (await api.images.import([plain])).imported;
      const images = await api.images.list();
      let labelled = images[0];
      let labels = await api.annotations.list(labelled.id);
      for (const im of images) {
        const list = await api.annotations.list(im.id);
        if (list.length > 0) [labelled, labels] = [im, list];
        if (list.length > 0) break;
      }
      const klass = (await api.classes.list()).find((c) => c.id === labels[0].classId)!;

      const db = s.workbench.project.db;
      db.prepare("INSERT INTO runs (id, created_at, preset, status, train_images, val_images, annotations, snapshot_hash, iteration, total_iterations) VALUES (?, ?, 'tiny', 'done', 8, 1, 20, 'h', 10, 10)").run(RUN, new Date().toISOString());
      const put = db.prepare('INSERT INTO predictions (run_id, image_id, class_id, class_name, score, bbox, rle) VALUES (?, ?, ?, ?, ?, ?, NULL)');
      const add = (imageId: number, score: number, bbox: Box) => Number(put.run(RUN, imageId, klass.id, klass.name, score, JSON.stringify(bbox)).lastInsertRowid);
      // The unlabelled photo: three suggestions far apart.
      const pre: Box[] = [[40, 40, 120, 90], [300, 60, 140, 100], [120, 300, 200, 120]];
      const preIds = pre.map((b, i) => add(unlabelled.id, 0.9 - i * 0.1, b));
      // The labelled photo: a hit, a box far from every label (FP), and a stack of six near-identical boxes.
      add(labelled.id, 0.97, labels[0].bbox as Box);
      const W = labelled.width, H = labelled.height;
      const fpBox: Box = [W * 0.02, H * 0.85, W * 0.1, H * 0.1];
      const fpId = add(labelled.id, 0.96, fpBox);
      const stack: Box[] = Array.from({ length: 6 }, (_, i) => [W * 0.45 + i * 4, H * 0.4 + i * 3, W * 0.2, H * 0.2]);
      const stackIds = stack.map((b, i) => add(labelled.id, 0.9 - i * 0.04, b));
      const onLabelled = await api.review.image(RUN, labelled.id, 0.5);
      assert.equal(onLabelled.predictions.find((p) => p.id === fpId)?.match, 'fp', 'the far box is a false positive');

      // The page opened before the project existed: reload it (as a user reopening the tab), then go to the review.
      await page.reload();
      await page.getByTestId('thumb').first().waitFor({ timeout: 60_000 });
      await page.evaluate((run) => (location.hash = `#/review/${run}`), RUN);
      const preItem = page.locator(`[data-testid="review-image"][data-image="${unlabelled.id}"]`);
      await preItem.waitFor({ timeout: 60_000 });
      // The list counts the pre-labels as unverified, never as FP (and the service's tally agrees).
      assert.equal(await preItem.getAttribute('data-fp'), '0');
      assert.equal(await preItem.getAttribute('data-unverified'), '3');
      assert.match((await preItem.getByTestId('review-image-counts').textContent()) ?? '', /3 unverified/);
      assert.doesNotMatch((await preItem.getByTestId('review-image-counts').textContent()) ?? '', /FP/);
      const row = (await api.review.images(RUN, { minScore: 0.5 })).find((i) => i.imageId === unlabelled.id)!;
      assert.deepEqual([row.fp, row.errors, row.unverified], [0, 0, 3]);
      assert.equal(await showCount(page, 'unverified'), '3');

      await preItem.click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="prediction"][data-kind="unverified"]').length === 3, undefined, { timeout: 30_000 });
      assert.match((await page.locator('[data-testid="prediction"]').first().textContent()) ?? '', /unverified/);
      // Drawn in their own style: dotted grey edges, not the red dashes of a false positive.
      for (const bbox of pre) {
        const pixels = await waitForEdge(page, bbox, UNVERIFIED_COLOR);
        assert.ok(!pixels.some((p) => near(p, FP_COLOR)), `a pre-label drawn in the FP red: ${bbox}`);
      }
      await hoverAt(page, pre[1][0] + 70, pre[1][1] + 50);
      await page.waitForFunction((name) => (document.querySelector('[data-testid="review-hover"]')?.textContent ?? '') === `${name} 80% · unverified`, klass.name, { timeout: 30_000 });
      await s.screenshot('review-prelabels');

      // Accept the first suggestion: it shows as accepted, here and under Show: accepted.
      await page.mouse.move(1, 1);
      await page.waitForSelector(`li.selected[data-testid="prediction"][data-id="${preIds[0]}"]`);
      await page.keyboard.press('a');
      const accepted = page.locator(`[data-testid="prediction"][data-id="${preIds[0]}"][data-status="accepted"]`);
      await accepted.waitFor({ timeout: 30_000 });
      assert.equal(await accepted.getAttribute('data-kind'), 'accepted');
      assert.equal(await accepted.getByTestId('decision-badge').textContent(), 'accepted');
      await page.waitForFunction(() => document.querySelector('[data-testid="review-show"] option[value="accepted"]')?.getAttribute('data-count') === '1');
      await chooseShow(page, 'accepted');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="review-image"]').length === 1);
      assert.equal(await page.getByTestId('review-image').getAttribute('data-image'), String(unlabelled.id));
      await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid="prediction"]')].map((e) => e.getAttribute('data-id')).join() === String(id), preIds[0]);

      // The labelled photo: captions of the stack never overlap, the lowest ones give way, hover names each box.
      await chooseShow(page, 'open');
      await page.locator(`[data-testid="review-image"][data-image="${labelled.id}"]`).click();
      await page.waitForSelector(`[data-testid="prediction"][data-id="${fpId}"]`);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="review-canvas"]')?.getAttribute('data-labels-hidden')) > 0, undefined, { timeout: 30_000 });
      const rects = JSON.parse((await page.getByTestId('review-canvas').getAttribute('data-label-rects')) ?? '[]') as { id: number; x: number; y: number; w: number; h: number }[];
      assert.ok(rects.length >= 3, `captions placed: ${JSON.stringify(rects)}`);
      const selectedId = Number(await page.locator('li.selected[data-testid="prediction"]').getAttribute('data-id'));
      assert.equal(rects[0].id, selectedId, 'the selected prediction is always named, first');
      for (const a of rects) for (const b of rects) {
        if (a.id !== b.id) assert.ok(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `captions ${a.id} and ${b.id} overlap`);
      }
      await waitForEdge(page, fpBox, FP_COLOR); // a real FP keeps its red dashes
      const top = stack[5];
      await hoverAt(page, top[0] + top[2] - 2, top[1] + top[3] - 2); // only the last box of the stack reaches here
      await page.waitForFunction((id) => document.querySelector('[data-testid="review-hover"]')?.getAttribute('data-id') === String(id), stackIds[5], { timeout: 30_000 });
      assert.match((await page.getByTestId('review-hover').textContent()) ?? '', new RegExp(`^${klass.name} 70%`));
      await s.screenshot('review-stack-hover');
      await page.mouse.move(1, 1);

      // Reject the FP: it leaves the default view and is found under Show: rejected, where R restores it.
      await page.locator(`[data-testid="prediction"][data-id="${fpId}"] button`).click();
      await page.keyboard.press('x');
      await page.waitForSelector(`[data-testid="prediction"][data-id="${fpId}"]`, { state: 'detached', timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid="review-show"] option[value="rejected"]')?.getAttribute('data-count') === '1');
      await chooseShow(page, 'rejected');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="review-image"]').length === 1);
      assert.equal(await page.getByTestId('review-image').getAttribute('data-image'), String(labelled.id));
      const rejected = page.locator(`[data-testid="prediction"][data-id="${fpId}"][data-status="rejected"]`);
      await rejected.waitFor();
      assert.equal(await rejected.getByTestId('decision-badge').textContent(), 'rejected');
      await waitForEdge(page, fpBox, '#7d838c'); // drawn faint grey
      await s.screenshot('review-rejected');
      await page.keyboard.press('r');
      await page.waitForFunction(() => document.querySelector('[data-testid="review-show"] option[value="rejected"]')?.getAttribute('data-count') === '0', undefined, { timeout: 30_000 });
      assert.equal((await api.review.image(RUN, labelled.id, 0.5)).predictions.find((p) => p.id === fpId)?.status, 'pending');
    });
  });
});
