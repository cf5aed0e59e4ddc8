// The import panel in a real browser: it detects a YOLO folder and says what it found, imports it, lists
// each skipped item, shows a class name with < as text, and exports YOLO seg from the export panel.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';
import { e2eSkipReason } from './harness.ts';
import { createProject } from './helpers/project.ts';
import { withE2e } from './helpers/session.ts';

describe('import panel: format detection and the skipped-items report (browser mode)', { skip: e2eSkipReason() }, () => {
  test('a YOLO folder is detected, imported, and its bad lines listed', async () => {
    await withE2e(async (page) => {
      await createProject(page, 'yolo', 'YOLO');
      await page.getByTestId('import-coco-path').fill(join(FIXTURES, 'interchange', 'yolo-roboflow'));
      const detected = page.getByTestId('import-detected');
      await detected.waitFor({ timeout: 30_000 });
      assert.equal(await detected.getAttribute('data-format'), 'yolo');
      assert.match((await detected.textContent())!, /^Found YOLO: data\.yaml; train \(train\/images\), val \(valid\/images\)/);
      await page.getByTestId('import-coco-submit').click();
      await page.getByTestId('import-report-images').waitFor({ timeout: 60_000 });
      assert.equal(await page.getByTestId('import-report-images').textContent(), '7');
      assert.equal(await page.getByTestId('import-report-annotations').textContent(), '8');
      assert.match((await page.getByTestId('import-skipped-count').textContent())!, /Skipped 4 items/);
      const items = await page.getByTestId('import-skipped').locator('li').allTextContents();
      assert.ok(items.some((t) => t.includes('train/labels/bad.txt · bad.png · line 2: class index 7 is out of range')), items.join('\n'));
      await page.waitForFunction(() => document.querySelector('[data-testid="class-stats"][data-class-name="size<5mm"]') !== null, undefined, { timeout: 30_000 });
      assert.equal(await page.locator('b').count(), 0, 'no markup from class names');
      // Export from the app: YOLO seg into a folder, with what the format lost listed.
      const out = join(tempDir(), 'out');
      await page.getByTestId('export-format').selectOption('yolo-seg');
      await page.getByTestId('export-coco-path').fill(out);
      await page.getByTestId('export-copy-images').check();
      await page.getByTestId('export-coco-submit').click();
      await page.getByTestId('export-dataset-summary').waitFor({ timeout: 30_000 });
      assert.match((await page.getByTestId('export-dataset-summary').textContent())!, /Wrote yolo-seg: 7 images, 8 annotations, 2 classes/);
      assert.ok(existsSync(join(out, 'data.yaml')) && existsSync(join(out, 'images', 'train', 'bad.png')));
      // A folder that is no dataset says so before importing.
      await page.getByTestId('import-coco-path').fill(tempDir());
      await page.waitForFunction(() => document.querySelector('[data-testid="import-detected"]')?.getAttribute('data-format') === '', undefined, { timeout: 30_000 });
      assert.match((await detected.textContent())!, /no dataset format recognised/);
    });
  });
});
