// The overfitting verdict on real training (not hand-made curves): the same small Mask R-CNN and the
// same schedule, from scratch on synthetic shapes, once on 24 training images and once on 400. The
// verdict is computed by writeRunReport from the run's own metrics.jsonl, as the app does.
// A CI-sized version of `npx tsx bench/report.ts` (which trains 600 iterations and evaluates 10×).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initBackend } from '../../trainer/backend/index.ts';
import { GAP_TOO_SMALL } from '../../trainer/advice/overfitting.ts';
import { describeResult, runVerdictCase, type VerdictCase, type VerdictCaseResult } from '../../bench/report.ts';
import { tempDir } from '../helpers/tmp.ts';

await initBackend('wasm');
const root = tempDir('fw-verdict-');

// 240 iterations × 4 images: 40 epochs over 24 images (memorised) but 2.4 epochs over 400. Three
// evaluations (80, 160, 240) are the fewest the verdict reads a trend from.
const BASE: Omit<VerdictCase, 'train'> = { val: 32, iterations: 240, evalEvery: 80, size: 64, preset: 'cpu', seed: 21 };
const results: Record<string, VerdictCaseResult> = {};

describe('overfitting verdict on real training', { timeout: 10 * 60_000 }, () => {
  test('24 training images trained long: too_small, with the evidence', async () => {
    const k = { ...BASE, train: 24 };
    const r = (results.small = await runVerdictCase(join(root, 'small'), k));
    console.log(describeResult('small', k, r));
    const v = r.report.verdict;
    assert.equal(r.report.state, 'completed');
    assert.equal(r.report.curves.valBoxAP.length, 3);
    assert.equal(v.verdict, 'too_small', v.evidence.join(' | '));
    assert.equal(v.confidence, 'high');
    // The evidence is the numbers: the train sample is fitted far better than val...
    assert.ok(v.signals.gap !== null && v.signals.gap >= GAP_TOO_SMALL, `gap ${v.signals.gap}`);
    assert.ok(v.evidence.some((e) => /train-sample box AP .* vs val box AP .* gap/.test(e)), v.evidence.join(' | '));
    // ...while training loss fell over the run (the model keeps fitting its training images).
    const loss = r.report.curves.trainLoss;
    assert.ok(loss.at(-1)![1] < loss[0][1] * 0.8, `train loss ${loss[0][1]} → ${loss.at(-1)![1]}`);
    assert.ok(v.advice.some((a) => /more target images|Collect/i.test(a)), v.advice.join(' | '));
  });

  test('the same model and schedule on 400 training images: not too_small, and a smaller gap', async () => {
    const k = { ...BASE, train: 400 };
    const r = (results.large = await runVerdictCase(join(root, 'large'), k));
    console.log(describeResult('large', k, r));
    const v = r.report.verdict;
    assert.equal(r.report.curves.valBoxAP.length, 3);
    assert.notEqual(v.verdict, 'too_small', v.evidence.join(' | '));
    // it learned: the verdict judges the data (or asks for a longer schedule), it is not "not learned"
    assert.equal(v.signals.learned, true, v.evidence.join(' | '));
    assert.notEqual(v.verdict, 'not_learned', v.evidence.join(' | '));
    assert.ok(v.signals.gap !== null && v.signals.gap < GAP_TOO_SMALL, `gap ${v.signals.gap}`);
    if (results.small) {
      assert.ok(v.signals.gap! < results.small.report.verdict.signals.gap!, 'more data, smaller train/val gap');
      assert.ok(r.report.best.boxAP! > results.small.report.best.boxAP!, `more data, better val AP: ${r.report.best.boxAP} vs ${results.small.report.best.boxAP}`);
    }
  });
});
