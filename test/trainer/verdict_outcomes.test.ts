// The verdict's outcomes on constructed histories with bootstrap intervals (trainer/advice/overfitting.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apPct, apWithInterval, overfittingVerdict, type EvalHistoryPoint } from '../../trainer/advice/overfitting.ts';

const ci = (x: number, hw: number): [number, number] => [Math.max(0, x - hw), Math.min(1, x + hw)];
/** [iteration, val AP, val half-width, train AP, train half-width, train loss] */
const hist = (rows: [number, number, number, number | null, number, number][]): EvalHistoryPoint[] =>
  rows.map(([iteration, v, hv, t, ht, trainLoss]) => ({
    iteration,
    trainLoss,
    valBoxAP: v,
    valBoxCI: ci(v, hv),
    trainBoxAP: t,
    trainBoxCI: t === null ? null : ci(t, ht),
    valImages: 30,
    valInstances: 48,
  }));

test('outcome: train and val AP ≈ 0 with a zero gap → not_learned, never enough, with ordered advice', () => {
  const v = overfittingVerdict(hist([[100, 0, 0, 0, 0, 2.1], [200, 0.0001, 0.0001, 0.0002, 0.0002, 1.9], [300, 0.0, 0, 0.0001, 0.0001, 1.8]]), {
    totalIterations: 300,
    preset: 'tiny',
    trainShortSide: 320,
    objectPxAtTrainScale: { median: 14, smallShare: 0.8 },
  });
  assert.equal(v.verdict, 'not_learned');
  assert.equal(v.signals.learned, false);
  assert.ok(v.evidence.some((e) => /has not fit its own training images/.test(e)), v.evidence.join(' | '));
  assert.match(v.advice[0], /3× the schedule \(300 → 900 iterations\)/);
  assert.match(v.advice[1], /larger input scale.*short side 320 px.*about 14 px across/);
  assert.match(v.advice[2], /bigger preset than tiny/);
  assert.match(v.advice[3], /GPU/);
  assert.equal(v.perClass.length, 0, 'no class notes for a model that fits nothing');
});

test('outcome: a train-sample AP above the floor whose interval reaches an untrained model → not_learned', () => {
  const v = overfittingVerdict(hist([[100, 0.02, 0.02, 0.07, 0.069, 1.0]]));
  assert.equal(v.verdict, 'not_learned');
  assert.match(v.evidence[0], /not clearly above an untrained model/);
  // the same AP measured tightly has learned (and the small gap then reads as enough data)
  const w = overfittingVerdict(hist([[100, 0.06, 0.01, 0.07, 0.01, 1.0], [200, 0.06, 0.01, 0.07, 0.01, 0.9], [300, 0.06, 0.01, 0.07, 0.01, 0.8]]));
  assert.equal(w.signals.learned, true);
  assert.equal(w.verdict, 'enough');
});

test('outcome: val rising at the end beyond its interval → still_learning; a rise inside the interval is not', () => {
  const rows: [number, number, number, number | null, number, number][] = [
    [100, 0.1, 0.02, 0.3, 0.03, 1.0],
    [200, 0.15, 0.02, 0.35, 0.03, 0.9],
    [300, 0.2, 0.02, 0.38, 0.03, 0.8],
    [400, 0.26, 0.02, 0.4, 0.03, 0.7],
  ];
  const v = overfittingVerdict(hist(rows));
  assert.equal(v.verdict, 'still_learning');
  assert.ok(v.advice[0].includes('train longer'));
  const noisy = overfittingVerdict(hist(rows.map((r) => [r[0], r[1], 0.2, r[3], 0.03, r[5]])));
  assert.notEqual(noisy.verdict, 'still_learning');
});

test('outcome: a decline inside the bootstrap interval is not too_small; the same decline measured tightly is', () => {
  const curve: [number, number][] = [[300, 0.1], [600, 0.25], [900, 0.35], [1200, 0.41], [1800, 0.38], [2400, 0.35], [3000, 0.33]];
  const wide = overfittingVerdict(hist(curve.map(([it, v], i) => [it, v, 0.1, 0.5, 0.05, 1.2 - 0.1 * i])));
  assert.notEqual(wide.verdict, 'too_small', wide.evidence.join(' | '));
  assert.ok(wide.evidence.some((e) => /inside the last evaluation's interval/.test(e)), wide.evidence.join(' | '));
  const tight = overfittingVerdict(hist(curve.map(([it, v], i) => [it, v, 0.01, 0.5, 0.01, 1.2 - 0.1 * i])));
  assert.equal(tight.verdict, 'too_small', tight.evidence.join(' | '));
});

test('outcome: a big train/val gap counts only beyond the two intervals', () => {
  const clear = overfittingVerdict(hist([[100, 0.3, 0.03, 0.7, 0.03, 1]]));
  assert.equal(clear.verdict, 'too_small');
  const noisy = overfittingVerdict(hist([[100, 0.3, 0.3, 0.58, 0.3, 1]]));
  assert.notEqual(noisy.verdict, 'too_small');
  assert.ok(noisy.evidence.some((e) => /inside the noise/.test(e)), noisy.evidence.join(' | '));
});

test('outcome: a failed run and a run not yet evaluated get no verdict; the second does not ask for a val split it has', () => {
  const failed = overfittingVerdict(hist([[100, 0.3, 0.03, 0.7, 0.03, 1]]), { failed: true });
  assert.equal(failed.verdict, null);
  const running = overfittingVerdict([{ iteration: 10, trainLoss: 2 }], { valImages: 30 });
  assert.equal(running.verdict, null);
  assert.match(running.evidence[0], /No evaluation was recorded yet \(the val split holds 30 images\)/);
  assert.ok(!running.advice.some((a) => /10–20 %/.test(a)));
});

test('outcome: the verdict says what it rests on, in one AP unit', () => {
  const v = overfittingVerdict(hist([[100, 0.4, 0.05, 0.45, 0.04, 1], [200, 0.41, 0.05, 0.46, 0.04, 0.9], [300, 0.41, 0.05, 0.46, 0.04, 0.8]]));
  assert.equal(v.verdict, 'enough');
  assert.ok(v.evidence.some((e) => /rests on 30 val images with 48 labelled instances .*10\.0 points wide.*bigger val split would narrow/.test(e)), v.evidence.join(' | '));
  assert.equal(v.finalValAP?.ap, 0.41);
  assert.ok(Math.abs(v.finalValAP!.lo! - 0.36) < 1e-9 && Math.abs(v.finalValAP!.hi! - 0.46) < 1e-9);
  const text = [...v.evidence, ...v.advice].join(' ');
  assert.ok(!/\b0\.\d\d\b/.test(text.replace(/loss[^;.]*/g, '')), `an AP printed as a 0–1 fraction: ${text}`);
  assert.equal(apPct(0.007), '0.7 %');
  assert.equal(apWithInterval(0.123, [0.081, 0.16]), '12.3 % (95 % interval 8.1–16.0 %)');
});
