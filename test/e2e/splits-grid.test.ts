// Splits that cannot leak and a grid you can manage, driven as a user would in the browser mode:
// Assign… → confirm with before/after counts → apply → undo; then multi-select in the grid and bulk edits.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURES } from '../helpers/tmp.ts';
import { e2eSkipReason } from './harness.ts';
import { createProject, importDataset, waitForThumbs } from './helpers/project.ts';
import { withE2e } from './helpers/session.ts';

const skip = e2eSkipReason();

describe('splits and grid (browser mode, headless Chromium)', { skip }, () => {
  test('assign with a confirm, undo, multi-select and bulk split/status', async () => {
    await withE2e(async (page, s) => {
      await createProject(page, 'wagons');
      await importDataset(page, join(FIXTURES, 'roboflow-mini'));
      await waitForThumbs(page, 9);
      // Every labelled tile shows its labels' outlines (8 of the fixture's 9 images are labelled, 42 labels).
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="thumb-outlines"]').length === 8, undefined, { timeout: 30_000 });
      const outlined = await page.getByTestId('thumb-outlines').evaluateAll((svgs) => svgs.reduce((n, svg) => n + Number(svg.getAttribute('data-count')), 0));
      assert.equal(outlined, 42);
      const counts = page.getByTestId('split-counts');
      await page.waitForFunction(() => /train 4 · val 3 · test 2/.test(document.querySelector('[data-testid="split-counts"]')?.textContent ?? ''));
      assert.match((await page.getByTestId('split-from-import').textContent()) ?? '', /9 images keep the split that came with their import/);

      // Assign… asks first and changes nothing until Apply.
      await page.getByTestId('split-reassign-imported').check();
      await page.getByTestId('split-train').fill('0.5');
      await page.getByTestId('split-val').fill('0.25');
      await page.getByTestId('split-test').fill('0.25');
      await page.getByTestId('split-assign').click();
      const confirm = page.getByTestId('split-confirm');
      await confirm.waitFor();
      const rows = await page.getByTestId('split-confirm-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
      assert.deepEqual(rows[0], [4, 3, 2], 'before');
      assert.equal(rows[1].reduce((a, b) => a + b, 0), 9, 'after covers every image');
      assert.match((await page.getByTestId('split-confirm-straddling').textContent()) ?? '', /1 now, 0 after/);
      assert.match((await counts.textContent()) ?? '', /train 4 · val 3 · test 2/, 'nothing changed before Apply');
      await s.screenshot('splits-confirm');
      await page.getByTestId('split-confirm-apply').click();
      await page.waitForFunction((after) => (document.querySelector('[data-testid="split-counts"]')?.textContent ?? '').includes(`train ${after[0]} · val ${after[1]} · test ${after[2]}`), rows[1]);
      await page.getByTestId('split-undo').click();
      await page.waitForFunction(() => /train 4 · val 3 · test 2/.test(document.querySelector('[data-testid="split-counts"]')?.textContent ?? ''));

      // Multi-select: Ctrl-click two, Shift-click a range, then bulk set split and status.
      const thumbs = page.getByTestId('thumb');
      await thumbs.nth(0).click({ modifiers: ['Control'] });
      await thumbs.nth(2).click({ modifiers: ['Shift'] });
      await thumbs.nth(5).click({ modifiers: ['Control'] });
      assert.equal(await page.getByTestId('selected-count').textContent(), '4 selected');
      assert.equal(await page.locator('[data-testid="thumb"][aria-pressed="true"]').count(), 4);
      await page.getByTestId('status-legend').waitFor();
      await s.screenshot('grid-multiselect');
      await page.getByTestId('bulk-split').selectOption('test');
      await page.getByTestId('bulk-split-apply').click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="thumb"][aria-pressed="true"][data-split="test"]').length === 4);
      await page.getByTestId('bulk-status').selectOption('skipped');
      await page.getByTestId('bulk-status-apply').click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="thumb"].status-skipped').length === 4);
      const images = await s.workbench.api.images.list();
      assert.equal(images.filter((i) => i.split === 'test' && i.splitOrigin === 'manual').length, 4);
      // Select all in a filter.
      await page.getByTestId('select-none').click();
      await page.getByTestId('filter-status').selectOption('skipped');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="thumb"]').length === 4);
      await page.getByTestId('select-all').click();
      assert.equal(await page.getByTestId('selected-count').textContent(), '4 selected');
      // Delete with a confirm that says what goes.
      await page.getByTestId('bulk-delete').click();
      assert.match((await page.getByTestId('delete-confirm-text').textContent()) ?? '', /^Delete 4 images with \d+ labels and 0 predictions\?/);
      await page.getByTestId('delete-confirm-cancel').click();
      assert.equal((await s.workbench.api.images.list()).length, 9, 'cancel deletes nothing');
      await page.getByTestId('bulk-delete').click();
      await page.getByTestId('delete-confirm-apply').click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="thumb"]').length === 0);
      assert.equal((await s.workbench.api.images.list()).length, 5);
      // The selection went with the images; a plain click with nothing selected still opens an image.
      assert.equal(await page.getByTestId('bulk-bar').count(), 0);
      await page.getByTestId('filter-status').selectOption('');
      await thumbs.nth(1).click();
      await page.waitForFunction(() => !document.querySelector('[data-testid="select-all"]'), undefined, { timeout: 30_000 });
    });
  });
});
