// Reloading the Train screen while a run trains brings back its live panel (progress, ETA, curves rebuilt
// from the events so far, then live ones, Cancel) and the choice it was started with (preset, length, an
// edited config value), which the project keeps.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURES } from '../helpers/tmp.ts';
import { e2eSkipReason } from './harness.ts';
import { createProject, importDataset, waitForThumbs } from './helpers/project.ts';
import { withE2e } from './helpers/session.ts';

const skip = e2eSkipReason();

describe('train screen reload (browser mode, real trainer)', { skip }, () => {
  test('reload during a tiny run restores the live panel and the preset; the cancelled run trains 30 min more', async () => {
    await withE2e(async (page, s) => {
      const dir = await createProject(page, 'restore');
      await importDataset(page, join(FIXTURES, 'roboflow-mini'));
      await waitForThumbs(page, 9);
      await page.getByTestId('train-from-scratch').click();
      await page.getByTestId('preset-tiny').check();
      await page.getByTestId('epochs').fill('400');
      await page.locator('[data-testid="advanced"] summary').click();
      await page.getByTestId('cfg-input.hflip').uncheck();
      await page.getByTestId('start-training').click();
      await page.waitForFunction(() => /^[1-9]\d* \//.test(document.querySelector('[data-testid="live-run"] [data-testid="progress-text"]')?.textContent ?? ''), undefined, { timeout: 120_000 });
      const runId = await page.locator('[data-testid="live-run"] [data-testid="run-progress"]').getAttribute('data-run');

      await page.reload();
      await page.getByTestId('live-run').waitFor({ timeout: 60_000 });
      assert.equal(await page.locator('[data-testid="live-run"] [data-testid="run-progress"]').getAttribute('data-run'), runId, 'the same run');
      assert.equal(await page.locator('[data-testid="live-run"] [data-testid="run-status"]').textContent(), 'running');
      assert.ok(await page.getByTestId('preset-tiny').isChecked(), 'the preset it was started with');
      assert.equal(await page.getByTestId('epochs').inputValue(), '400', 'the run length chosen');
      assert.equal(await page.getByTestId('cfg-input.hflip').isChecked(), false, 'the edited config value');
      // The loss curve is rebuilt from the events so far, then grows with the live ones.
      const lossPoints = () => page.locator('[data-testid="live-run"] [data-testid="loss-plot"]').getAttribute('data-points').then(Number);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-run"] [data-testid="loss-plot"]')?.getAttribute('data-points')) > 0, undefined, { timeout: 60_000 });
      const rebuilt = await lossPoints();
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live-run"] [data-testid="loss-plot"]')?.getAttribute('data-points')) > n, rebuilt, { timeout: 120_000 });
      await page.locator('[data-testid="live-run"] [data-testid="eta"]').waitFor({ timeout: 60_000 });
      await page.locator('[data-testid="live-run"] [data-testid="cancel-run"]').waitFor();
      await s.screenshot('train-restored');
      await page.locator('[data-testid="live-run"] [data-testid="cancel-run"]').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="live-run"] [data-testid="run-status"]')?.textContent === 'cancelled', undefined, { timeout: 60_000 });
      const stoppedAt = Number((await page.locator('[data-testid="live-run"] [data-testid="progress-text"]').textContent())!.split(' ')[0]);

      // "Train 30 min more": the cancelled run goes on from its checkpoint in the real trainer (a new schedule tail).
      await page.locator('[data-testid="live-run"] [data-testid="extend-30"]').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="live-run"] [data-testid="run-status"]')?.textContent === 'running', undefined, { timeout: 60_000 });
      await page.waitForFunction((n) => {
        const text = document.querySelector('[data-testid="live-run"] [data-testid="progress-text"]')?.textContent ?? '';
        return Number(text.split(' ')[0]) > n;
      }, stoppedAt, { timeout: 180_000 });
      const extended = JSON.parse(readFileSync(join(dir, 'runs', runId!, 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => l.includes('"started"')).at(-1)!);
      assert.equal(extended.startIteration, stoppedAt, 'extended from where it stopped');
      await page.locator('[data-testid="live-run"] [data-testid="cancel-run"]').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="live-run"] [data-testid="run-status"]')?.textContent !== 'running', undefined, { timeout: 60_000 });
      await page.locator(`[data-testid="run-row"][data-run="${runId}"] [data-testid="row-extend-60"]`).waitFor({ timeout: 30_000 });
    });
  });
});
