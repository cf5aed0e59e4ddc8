// The foundation in a real browser: create a project, import the wagon-defects export, see every
// thumbnail and the per-class counts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURES, SHARED_WAGON } from '../helpers/tmp.ts';
import { e2eSkipReason } from './harness.ts';
import { createProject, importDataset, waitForThumbs } from './helpers/project.ts';
import { withE2e } from './helpers/session.ts';

const skip = e2eSkipReason();

async function createAndImport(datasetDir: string, expected: { thumbs: number; classes: Record<string, number> }, shot: string) {
  await withE2e(async (page, s) => {
    await createProject(page, 'wagons', 'Wagon defects');
    await importDataset(page, datasetDir);
    await page.getByTestId('import-report-images').waitFor({ timeout: 120_000 });
    assert.equal(await page.getByTestId('import-report-images').textContent(), String(expected.thumbs));
    await waitForThumbs(page, expected.thumbs);
    const rows = await page.getByTestId('class-stats').evaluateAll((els) => els.map((e) => [e.getAttribute('data-class-name'), Number(e.getAttribute('data-instances'))]));
    assert.deepEqual(Object.fromEntries(rows), expected.classes);
    // The thumbnails really load (the media route and the token cookie work together).
    const firstThumbLoaded = await page.locator('[data-testid="thumb"] img').first().evaluate(async (img: HTMLImageElement) => {
      img.scrollIntoView();
      if (!img.complete) await new Promise((r) => img.addEventListener('load', r, { once: true }));
      return img.naturalWidth;
    });
    assert.ok(firstThumbLoaded > 0, 'thumbnail decoded');
    await s.screenshot(shot);
  });
}

describe('foundation end to end (browser mode, headless Chromium)', { skip }, () => {
  test('create a project, import a Roboflow export fixture, see thumbnails and per-class counts', async () => {
    await createAndImport(join(FIXTURES, 'roboflow-mini'), { thumbs: 9, classes: { gunny_bag: 19, wire: 23 } }, 'foundation-mini');
  });

  test('the whole wagon-defects export: 299 thumbnails, gunny_bag 383, wire 768', { skip: !existsSync(SHARED_WAGON) && 'needs ../shared/datasets/wagon-defects' }, async () => {
    await createAndImport(SHARED_WAGON, { thumbs: 299, classes: { gunny_bag: 383, wire: 768 } }, 'foundation-wagon');
  });
});
