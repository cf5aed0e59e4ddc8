// The "Bigger than one machine" panel in a real browser: export the fixture for Detectron2, bring
// (perfect) results back, see the imported run's AP.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';
import { e2eSkipReason } from './harness.ts';
import { createProject, importDataset } from './helpers/project.ts';
import { withE2e } from './helpers/session.ts';

describe('scale-out panel end to end (browser mode, headless Chromium)', { skip: e2eSkipReason() }, () => {
  test('export for Detectron2, import its results as a run', async () => {
    await withE2e(async (page, s) => {
      await createProject(page, 'wagons', 'Wagon defects');
      await importDataset(page, join(FIXTURES, 'roboflow-mini'));
      await page.getByTestId('import-report-images').waitFor({ timeout: 60_000 });
      const out = join(tempDir(), 'd2');
      await page.getByTestId('scaleout-engine').selectOption('detectron2');
      await page.getByTestId('scaleout-preset').selectOption('r101-gn');
      await page.getByTestId('scaleout-out').fill(out);
      await page.getByTestId('scaleout-export').click();
      await page.getByTestId('scaleout-exported').waitFor({ timeout: 30_000 });
      assert.match((await page.getByTestId('scaleout-exported').textContent()) ?? '', /train 4, val 2 images, 2 classes/);
      assert.match(readFileSync(join(out, 'config.yaml'), 'utf8'), /DEPTH: 101/);
      const val = JSON.parse(readFileSync(join(out, 'datasets', 'val.json'), 'utf8')) as CocoDataset;
      mkdirSync(join(out, 'output', 'inference'), { recursive: true });
      writeFileSync(join(out, 'output', 'inference', 'coco_instances_results.json'), JSON.stringify(val.annotations.map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 1 }))));
      await page.getByTestId('scaleout-source').fill(out);
      await page.getByTestId('scaleout-import').click();
      await page.getByTestId('scaleout-imported').waitFor({ timeout: 30_000 });
      assert.match((await page.getByTestId('scaleout-imported').textContent()) ?? '', /14 detections on 2 val images, box AP 100\.0 %.*results only/);
      await s.screenshot('scaleout-panel');
      assert.ok(existsSync(join(out, 'fieldwork-run.json')));
    });
  });
});
