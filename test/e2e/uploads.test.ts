// Browser-mode upload, as a user does it: images and a Roboflow COCO export chosen with the file picker
// (single files and a folder), then dropped onto the import panel; they show in the grid, and a bad file
// among good ones is listed while the rest import.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { FIXTURES, tempDir, writeImage } from '../helpers/tmp.ts';
import { e2eSkipReason } from './harness.ts';
import { createProject, waitForThumbs } from './helpers/project.ts';
import { withE2e } from './helpers/session.ts';

const MINI = join(FIXTURES, 'roboflow-mini');

/** Dispatches a drop of these files (bytes from disk, flat names) on the upload zone, as a drag from the desktop would. */
async function dropFiles(page: Page, files: { name: string; path?: string; bytes?: Buffer; type: string }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.type, base64: (f.bytes ?? readFileSync(f.path!)).toString('base64') }));
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, payload);
  const zone = page.getByTestId('upload-dropzone');
  await zone.dispatchEvent('dragover', { dataTransfer: transfer });
  await zone.dispatchEvent('drop', { dataTransfer: transfer });
}

async function reportNumber(page: Page, testId: string): Promise<number> {
  await page.getByTestId(testId).waitFor({ timeout: 120_000 });
  return Number(await page.getByTestId(testId).textContent());
}

describe('browser-mode upload: file picker and drag-and-drop (headless Chromium)', { skip: e2eSkipReason() }, () => {
  test('images and a COCO export folder chosen with the picker show in the grid', async () => {
    const photos = tempDir();
    const one = await writeImage(join(photos, 'first.png'), 64, 48, 3);
    await withE2e(async (page, session) => {
      await createProject(page, 'upload-picker', 'Upload');
      await page.getByTestId('upload-dropzone').waitFor({ timeout: 30_000 });
      // Hold the file request, to see the progress it shows meanwhile.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await page.route('**/x/uploads/*/file?*', async (route) => {
        await held;
        await route.continue();
      });
      await page.getByTestId('upload-images-input').setInputFiles([one]);
      await page.waitForFunction(() => /Uploading 1 file… 0 \/ 1/.test(document.querySelector('[data-testid="import-progress"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
      assert.match((await page.getByTestId('import-progress').textContent())!, /first\.png/);
      release();
      await waitForThumbs(page, 1, 120_000);
      await page.unroute('**/x/uploads/*/file?*');
      await page.waitForFunction(() => document.querySelector('[data-testid="image-count"]')?.textContent === '1 image', undefined, { timeout: 30_000 });
      assert.match((await page.getByTestId('import-report').textContent())!, /1 imported/);
      // The whole export folder (train/ valid/ test/ with their _annotations.coco.json), as webkitdirectory gives it.
      await page.getByTestId('upload-folder-input').setInputFiles(MINI);
      const images = await reportNumber(page, 'import-report-images');
      assert.ok(images > 0);
      await waitForThumbs(page, 1 + images, 120_000);
      assert.match((await page.getByTestId('import-report').textContent())!, /train \d+ \/ val \d+ \/ test \d+/);
      assert.ok(Number(await page.getByTestId('import-report-annotations').textContent()) > 0);
      // A one-image COCO export chosen as dataset files: the summary says "1 image · 1 annotation" (plurals).
      const single = tempDir();
      await writeImage(join(single, 'solo.png'), 60, 40, 21);
      writeFileSync(
        join(single, 'solo.json'),
        JSON.stringify({
          images: [{ id: 1, file_name: 'solo.png', width: 60, height: 40 }],
          annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [5, 5, 20, 10], area: 200, iscrowd: 0 }],
          categories: [{ id: 1, name: 'dent' }],
        }),
      );
      await page.getByTestId('upload-dataset-input').setInputFiles([join(single, 'solo.json'), join(single, 'solo.png')]);
      await page.waitForFunction(() => /^1 image · 1 annotation · train 1/.test(document.querySelector('[data-testid="import-report"] p')?.textContent ?? ''), undefined, { timeout: 120_000 });
      await waitForThumbs(page, 2 + images, 120_000);
      await session.screenshot('upload-picker');
    });
  });

  test('dropped images import, a broken one is listed; a dropped COCO export imports as a dataset', async () => {
    const photos = tempDir();
    const a = await writeImage(join(photos, 'a.png'), 50, 40, 11);
    const b = await writeImage(join(photos, 'b.png'), 50, 40, 12);
    await withE2e(async (page) => {
      await createProject(page, 'upload-drop', 'Drop');
      await page.getByTestId('upload-dropzone').waitFor({ timeout: 30_000 });
      await dropFiles(page, [
        { name: 'a.png', path: a, type: 'image/png' },
        { name: 'b.png', path: b, type: 'image/png' },
        { name: 'broken.jpg', bytes: Buffer.from('not a jpeg at all'), type: 'image/jpeg' },
      ]);
      await waitForThumbs(page, 2, 120_000);
      await page.waitForFunction(() => /2 imported .* 1 failed/.test(document.querySelector('[data-testid="import-report"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
      assert.match((await page.getByTestId('import-report').textContent())!, /broken\.jpg: /);
      // Roboflow's train/ folder holds its images and _annotations.coco.json side by side.
      const train = join(MINI, 'train');
      await dropFiles(
        page,
        readdirSync(train).map((name) => ({ name, path: join(train, name), type: name.endsWith('.json') ? 'application/json' : 'image/jpeg' })),
      );
      const images = await reportNumber(page, 'import-report-images');
      assert.equal(images, readdirSync(train).filter((n) => n.endsWith('.jpg')).length);
      await waitForThumbs(page, 2 + images, 120_000);
      const names = await page.getByTestId('thumb').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));
      for (const jpg of readdirSync(train).filter((n) => n.endsWith('.jpg'))) assert.ok(names.includes(jpg), `${jpg} in the grid: ${names.join(', ')}`);
    });
  });
});
