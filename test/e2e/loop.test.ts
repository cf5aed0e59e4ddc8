// The loop in the app, end to end with the real trainer process: Train from scratch → dataset check →
// live progress → report (verdict, uPlot charts) → review (predict on val, accept with A, the label is
// there) → a second run cancelled and resumed → a run whose trainer fails shows the trainer's reason.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { tempDir } from '../helpers/tmp.ts';
import { e2eSkipReason, startE2e, type E2eSession } from './harness.ts';

const skip = e2eSkipReason();
const FIXTURE = new URL('../fixtures/roboflow-mini', import.meta.url).pathname;

async function waitForStatus(page: Page, status: string, timeout = 60_000) {
  await page.waitForSelector(`[data-testid="live-run"] [data-testid="run-progress"][data-status="${status}"]`, { timeout });
}

async function setRange(page: Page, testid: string, value: number) {
  await page.getByTestId(testid).evaluate((el, v) => {
    (el as HTMLInputElement).value = String(v);
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

describe('the loop: train, report, review (browser mode, real trainer)', { skip }, () => {
  let s: E2eSession;
  let page: Page;
  let firstRun = '';

  before(async () => {
    s = await startE2e();
    page = s.page;
    await s.workbench.api.projects.create(join(tempDir(), 'project'), 'Loop');
    const report = await s.workbench.api.coco.import(FIXTURE);
    assert.equal(report.images, 9);
    await page.reload();
    await page.getByTestId('thumb').first().waitFor();
  });
  after(async () => {
    await s?.close();
  });

  test('Train from scratch shows the dataset check, the presets and every config value', async () => {
    await page.getByTestId('train-from-scratch').click();
    await page.getByTestId('dataset-check').waitFor();
    const summary = await page.getByTestId('check-summary').textContent();
    assert.match(summary ?? '', /objects in 2 classes/);
    assert.equal(await page.locator('[data-testid="check-classes"] tbody tr').count(), 2);
    await page.getByTestId('ladder-you').waitFor();
    assert.equal(new URL(page.url()).hash, '#/train');
    await page.getByTestId('preset-tiny').check();
    await page.locator('[data-testid="advanced"] summary').click();
    assert.equal(await page.getByTestId('cfg-solver.baseLr').inputValue(), '0.08');
    assert.equal(await page.getByTestId('cfg-backbone.stageChannels').inputValue(), '8, 16, 32, 32');
    await page.locator('[data-testid="advanced"] summary').click();
  });

  test('start a short tiny run, watch it to the end, open its report', async () => {
    await page.getByTestId('epochs').fill('4');
    // The time estimate is measured (a few real steps), not guessed: 4 epochs of 4 images at 2 per step = 8 iterations.
    await page.getByTestId('measure-estimate').click();
    const estimate = await page.getByTestId('estimate').textContent({ timeout: 60_000 });
    assert.match(estimate ?? '', /≈ \d+ (s|min) on (wasm|cpu|tensorflow)/);
    assert.match(estimate ?? '', /img\/s × 8 iterations/);
    // The device the estimate ran on, in words (no GPU here: the CPU).
    assert.match((await page.getByTestId('estimate-device').textContent()) ?? '', /^Trains on: the CPU \((WebAssembly|plain JavaScript|native TensorFlow)/);
    await page.getByTestId('start-training').click();
    await page.getByTestId('live-run').waitFor();
    await waitForStatus(page, 'done');
    const text = await page.locator('[data-testid="live-run"] [data-testid="progress-text"]').textContent();
    const [done, total] = (text ?? '').match(/\d+/g)!.map(Number);
    assert.ok(total >= 4 && total <= 10, `a short run, got ${text}`);
    assert.equal(done, total);
    assert.equal(await page.locator('[data-testid="live-run"] progress').evaluate((el) => (el as HTMLProgressElement).value), 1);
    assert.match((await page.locator('[data-testid="live-run"] [data-testid="backend"]').textContent()) ?? '', /backend: (wasm|cpu|tensorflow)/);
    await page.getByTestId('run-row').first().waitFor();
    firstRun = (await page.getByTestId('run-row').first().getAttribute('data-run'))!;
    await s.screenshot('loop-train');

    await page.locator(`[data-testid="run-row"][data-run="${firstRun}"] [data-testid="open-report"]`).click();
    await page.getByTestId('verdict').waitFor();
    assert.equal(new URL(page.url()).hash, `#/runs/${firstRun}`);
    // 8 iterations fit nothing: the headline is the inconclusive one (never a green "Enough data"), with its advice
    const words = await page.getByTestId('verdict-words').textContent();
    assert.equal(words, 'Inconclusive: not learned yet');
    assert.equal(await page.getByTestId('verdict').getAttribute('data-verdict'), 'not_learned');
    assert.ok((await page.locator('[data-testid="evidence"] li').count()) > 0);
    assert.match((await page.locator('[data-testid="advice"] li').first().textContent()) ?? '', /^Train longer first: about 3× the schedule/);
    // one AP unit on the screen: percentages with one decimal, no 0–1 fractions next to "AP"
    assert.match((await page.getByTestId('verdict-ap').textContent()) ?? '', /last val AP \d+\.\d % \(95 % interval \d+\.\d–\d+\.\d %\)/);
    assert.match((await page.getByTestId('best-ap').textContent()) ?? '', /^(\d+\.\d %|—) \/ (\d+\.\d %|—)$/);
    const screenText = (await page.locator('.report-body').textContent()) ?? '';
    assert.ok(!/AP[^.%\d]{0,30}\b0\.\d{2,3}\b/.test(screenText), `an AP as a 0–1 fraction on screen: ${screenText.slice(0, 400)}`);
    // uPlot drew both charts (canvas elements inside the plot containers), with data.
    for (const id of ['loss-plot', 'ap-plot']) {
      await page.locator(`[data-testid="${id}"] canvas`).waitFor();
      assert.ok(Number(await page.getByTestId(id).getAttribute('data-points')) > 0, `${id} has points`);
    }
    assert.equal(await page.locator('[data-testid="report-classes"] tbody tr').count(), 2);
    await s.screenshot('loop-report');
  });

  test('review: predict on val, accept the selected prediction with A, find it as a label', async () => {
    await page.getByTestId('review-this-run').click();
    await page.waitForFunction(() => location.hash.startsWith('#/review/'));
    await page.getByTestId('predict-val').click();
    await page.waitForSelector('[data-testid="predict-val"]:not([disabled])', { timeout: 60_000 });
    await setRange(page, 'score-threshold', 0);
    await page.getByTestId('review-image').first().waitFor();
    const runId = firstRun;
    const images = await s.workbench.api.review.images(runId, { minScore: 0 });
    assert.ok(images.every((i) => i.split === 'val'));
    const withPending = images.find((i) => i.pending > 0);
    assert.ok(withPending, `the model predicted something on val: ${JSON.stringify(images)}`);
    await page.locator(`[data-testid="review-image"][data-image="${withPending.imageId}"]`).click();
    await page.waitForSelector('[data-testid="prediction"][data-status="pending"]');
    await page.locator('[data-testid="review-canvas"] canvas').waitFor();
    const before = await s.workbench.api.annotations.list(withPending.imageId);
    const pending = await page.locator('li.selected[data-testid="prediction"]').getAttribute('data-id');
    assert.ok(pending, 'a pending prediction is selected on open');
    await page.keyboard.press('g'); // labels off and on again
    await page.keyboard.press('g');
    await s.screenshot('loop-review');
    await page.keyboard.press('a');
    await page.waitForSelector(`[data-testid="prediction"][data-id="${pending}"][data-status="accepted"]`);
    const afterAccept = await s.workbench.api.annotations.list(withPending.imageId);
    assert.equal(afterAccept.length, before.length + 1);
    assert.equal(afterAccept.filter((a) => a.source === 'prediction').length, 1);
    const corrections = await page.locator('[data-testid="corrections"] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.children[1].textContent)));
    assert.equal(corrections.reduce((a, b) => a + b, 0), 1);
    // U takes the decision back: the label goes away again.
    await page.keyboard.press('u');
    await page.waitForSelector(`[data-testid="prediction"][data-id="${pending}"][data-status="pending"]`);
    assert.equal((await s.workbench.api.annotations.list(withPending.imageId)).length, before.length);
    await page.keyboard.press('a');
    await page.waitForSelector(`[data-testid="prediction"][data-id="${pending}"][data-status="accepted"]`);
    // …and the annotator shows it.
    await page.getByTestId('back-to-train').click();
    await page.getByTestId('back-to-project').click();
    await page.locator(`[data-testid="thumb"]`).first().waitFor();
    await page.goto(`${s.server.url.split('?')[0].split('#')[0]}#/images/${withPending.imageId}`);
    await page.getByTestId('instance').first().waitFor();
    assert.equal(await page.getByTestId('instance').count(), before.length + 1);
  });

  test('a second run: cancel it, see it cancelled, resume it, see it finish', async () => {
    await page.goto(`${s.server.url.split('?')[0].split('#')[0]}#/train`);
    await page.getByTestId('preset-tiny').check();
    await page.getByTestId('epochs').fill('60');
    const earlier = new Set((await s.workbench.api.runs.list()).map((r) => r.id));
    await page.getByTestId('start-training').click();
    // The new run's own progress (the panel may still show the first run's last numbers for a moment).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const fresh = (await s.workbench.api.runs.list()).find((r) => !earlier.has(r.id));
      if (fresh && fresh.status === 'running' && fresh.iteration >= 3) break;
      assert.ok(Date.now() < deadline, `the second run did not reach iteration 3 (${JSON.stringify(fresh)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.locator('[data-testid="live-run"] [data-testid="cancel-run"]').click();
    await waitForStatus(page, 'cancelled', 45_000);
    const stoppedAt = Number((await page.locator('[data-testid="live-run"] [data-testid="progress-text"]').textContent())!.split(' ')[0]);
    assert.ok(stoppedAt < 120, `cancelled before the end (${stoppedAt})`);
    await page.locator('[data-testid="live-run"] [data-testid="resume-run"]').click();
    await waitForStatus(page, 'running', 10_000).catch(() => {});
    await waitForStatus(page, 'done', 90_000);
    const runs = await s.workbench.api.runs.list();
    assert.equal(runs.filter((r) => r.status === 'done').length, 2);
  });

  test('compare the two runs: per-class AP and the snapshot diff', async () => {
    const ticks = page.getByTestId('compare-tick');
    await ticks.nth(0).check();
    await ticks.nth(1).check();
    await page.getByTestId('compare-runs').click();
    await page.getByTestId('comparison').waitFor();
    // One prediction was accepted between the runs: the second run's data has one more label.
    assert.match((await page.getByTestId('snapshot-diff').textContent()) ?? '', /1 relabelled.*1 label added/s);
    assert.equal(await page.locator('[data-testid="compare-classes"] tbody tr').count(), 2);
  });

  test('a learning curve: three short runs, then val AP against train images with its message', async () => {
    await page.getByTestId('epochs').fill('2');
    await page.getByTestId('start-learning-curve').click();
    await page.getByTestId('learning-curve-message').waitFor({ timeout: 240_000 });
    await page.locator('[data-testid="learning-curve-plot"] canvas').waitFor();
    const curves = await s.workbench.api.runs.learningCurves();
    assert.equal(curves[0].status, 'done');
    assert.equal(await page.getByTestId('learning-curve-message').textContent(), curves[0].result!.message);
  });

  test('a run whose trainer fails shows the trainer’s reason and can be resumed', async () => {
    // The images on disk go missing (a folder moved by hand): the trainer cannot read them.
    const project = s.workbench.project;
    const rows = project.db.prepare("SELECT stored_path FROM images WHERE split = 'train'").all() as { stored_path: string }[];
    for (const r of rows) rmSync(project.resolveInside(r.stored_path), { force: true });
    await page.getByTestId('epochs').fill('2');
    await page.getByTestId('start-training').click();
    await waitForStatus(page, 'failed', 60_000);
    const error = await page.locator('[data-testid="live-run"] [data-testid="run-error"]').textContent();
    assert.ok(error && error.length > 10, `the reason is shown: ${error}`);
    await page.locator('[data-testid="live-run"] [data-testid="resume-run"]').waitFor();
    const failed = (await s.workbench.api.runs.list()).find((r) => r.status === 'failed');
    assert.ok(failed?.error && error.includes(failed.error.split('\n')[0].slice(0, 40)));
    await s.screenshot('loop-failed');
  });
});
