// The data-aware training scale is on the Train screen before Start, editable; the edited value (with the
// anchors the service refits to it) is what the started run's config.json holds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { RunConfig } from '../../trainer/common/config.ts';
import { FIXTURES } from '../helpers/tmp.ts';
import { e2eSkipReason } from './harness.ts';
import { createProject, importDataset, waitForThumbs } from './helpers/project.ts';
import { withE2e } from './helpers/session.ts';

const skip = e2eSkipReason();

describe('training scale on the Train screen (browser mode)', { skip }, () => {
  test('the data-aware scale is shown before Start and an edit reaches config.json', async () => {
    await withE2e(async (page, s) => {
      const dir = await createProject(page, 'scale');
      await importDataset(page, join(FIXTURES, 'roboflow-mini'));
      await waitForThumbs(page, 9);
      await page.getByTestId('train-from-scratch').click();
      await page.getByTestId('preset-cpu').check();
      const source = page.getByTestId('train-scale-source');
      await page.waitForFunction(() => document.querySelector('[data-testid="train-scale-source"]')?.getAttribute('data-source') === 'data', undefined, { timeout: 60_000 });
      const chosen = Number(await page.getByTestId('train-scale-input').inputValue());
      assert.ok(chosen >= 128 && chosen !== 160, `the data-aware side, not the preset's 160 px (${chosen})`);
      assert.match(await page.getByTestId('train-scale-objects').textContent() ?? '', /^— objects \d+–\d+ px at that scale/);
      const before = await page.getByTestId('train-scale-details').textContent();
      await page.getByTestId('check-summary').waitFor({ timeout: 60_000 });
      await s.screenshot('train-scale');

      const side = chosen === 256 ? 224 : 256;
      await page.getByTestId('train-scale-input').fill(String(side));
      await page.getByTestId('train-scale-input').press('Tab');
      await page.waitForFunction(() => document.querySelector('[data-testid="train-scale-source"]')?.getAttribute('data-source') === 'you', undefined, { timeout: 60_000 });
      assert.equal(await page.getByTestId('train-scale-input').inputValue(), String(side));
      assert.notEqual(await page.getByTestId('train-scale-details').textContent(), before, 'sides and anchors follow the edit');
      assert.match(await source.textContent() ?? '', /your value/);
      await page.getByTestId('train-scale-reset').waitFor();

      await page.getByTestId('epochs').fill('1');
      await page.getByTestId('start-training').click();
      await page.getByTestId('live-run').waitFor({ timeout: 60_000 });
      const runId = await page.locator('[data-testid="live-run"] [data-testid="run-progress"]').getAttribute('data-run');
      const config = JSON.parse(readFileSync(join(dir, 'runs', runId!, 'config.json'), 'utf8')) as RunConfig;
      assert.equal(config.input.testShortSide, side, 'the edit is in config.json');
      assert.ok(config.input.trainShortSides.every((t) => t <= side && t >= side * 0.75), `training sides around it: ${config.input.trainShortSides}`);
      assert.equal(config.dataAware, true);
      // Not needed past this point: stop it (a 1-epoch run may also have finished by now).
      const cancel = page.locator('[data-testid="live-run"] [data-testid="cancel-run"]');
      if (await cancel.count()) await cancel.click().catch(() => {});
      await page.waitForFunction(() => document.querySelector('[data-testid="live-run"] [data-testid="run-status"]')?.textContent !== 'running', undefined, { timeout: 120_000 });
    });
  });
});
