// Under a status filter, labelling an image moves it out of the grid's list; the annotator keeps the list it
// was opened with, so F/D (and →/←) still reach the neighbours and the counter and status toggle stay right.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tempDir, writeNoiseImage } from '../helpers/tmp.ts';
import { dragImage, saved } from './canvas-gestures.ts';
import { e2eSkipReason } from './harness.ts';
import { createProject } from './helpers/project.ts';
import { withE2e } from './helpers/session.ts';

const skip = e2eSkipReason();

describe('annotator navigation under a filter (browser mode, headless Chromium)', { skip }, () => {
  test('label the first unlabelled image, then F and D walk the list it was opened with', async () => {
    await withE2e(async (page, s) => {
      const src = tempDir();
      for (let k = 0; k < 4; k++) await writeNoiseImage(join(src, `photo${k}.png`), 200, 160, 40 + k);
      await createProject(page, 'nav');
      await page.getByTestId('import-images-paths').fill(src);
      await page.getByTestId('import-images-submit').click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="thumb"]').length === 4);
      await page.getByTestId('new-class-name').fill('dent');
      await page.getByTestId('new-class-submit').click();
      await page.locator('[data-testid="class-name"]:has-text("dent")').waitFor();
      await page.getByTestId('filter-status').selectOption('unlabelled');
      await page.getByTestId('thumb').first().click();
      await page.waitForSelector('[data-testid="canvas"][data-painted-image]');
      assert.equal(await page.getByTestId('image-name').textContent(), 'photo0.png');
      assert.equal(await page.getByTestId('image-position').textContent(), '1 / 4');

      await page.keyboard.press('r');
      await dragImage(page, [30, 30], [120, 100]);
      await saved(page);
      // The box made it "in progress": the grid's filtered list no longer holds this image.
      await page.waitForFunction(() => document.querySelector('[data-testid="status-in_progress"]')?.classList.contains('on'));
      await page.waitForTimeout(500);
      assert.equal(await page.getByTestId('image-position').textContent(), '1 / 4', 'the counter keeps its place');
      await page.keyboard.press('f');
      await page.waitForFunction(() => document.querySelector('[data-testid="image-name"]')?.textContent === 'photo1.png');
      assert.equal(await page.getByTestId('image-position').textContent(), '2 / 4');
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction(() => document.querySelector('[data-testid="image-name"]')?.textContent === 'photo2.png');
      await page.keyboard.press('d');
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction(() => document.querySelector('[data-testid="image-name"]')?.textContent === 'photo0.png');
      assert.equal(await page.getByTestId('image-position').textContent(), '1 / 4');
      assert.ok(await page.getByTestId('status-in_progress').evaluate((b) => b.classList.contains('on')), 'the status toggle shows the image\'s status');
      await page.getByTestId('status-done').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="status-done"]')?.classList.contains('on'));
      const images = await s.workbench.api.images.list();
      assert.equal(images.find((i) => i.fileName === 'photo0.png')!.status, 'done');
    });
  });
});
