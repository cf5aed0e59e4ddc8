// Learning-curve conclusions need a 100 % run that learned, and rises beyond the points' intervals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPowerLaw, learningCurve } from '../../trainer/advice/learning_curve.ts';

test('learning curve: runs that did not learn → inconclusive, never "unlikely to help"', () => {
  // the wagon case: 0.0 AP at 71, 141 and 280 images
  const r = learningCurve([
    { fraction: 0.25, trainImages: 71, valAP: 0, valAPInterval: [0, 0], learned: false },
    { fraction: 0.5, trainImages: 141, valAP: 0, valAPInterval: [0, 0], learned: false },
    { fraction: 1, trainImages: 280, valAP: 0, valAPInterval: [0, 0], learned: false },
  ]);
  assert.equal(r.stillRising, null);
  assert.match(r.message, /^Inconclusive: .*has not fit its training images/);
  assert.ok(!/unlikely to help/.test(r.message));
  assert.deepEqual(r.projections, []);
});

test('learning curve: a rise inside the intervals is inconclusive; the same rise measured tightly helps', () => {
  const base = [
    { fraction: 0.25, trainImages: 100, valAP: 0.1 },
    { fraction: 0.5, trainImages: 200, valAP: 0.15 },
    { fraction: 1, trainImages: 400, valAP: 0.2 },
  ];
  const wide = learningCurve(base.map((p) => ({ ...p, learned: true, valAPInterval: [p.valAP - 0.06, p.valAP + 0.06] as [number, number] })));
  assert.equal(wide.stillRising, null);
  assert.match(wide.message, /inside the noise/);
  const tight = learningCurve(base.map((p) => ({ ...p, learned: true, valAPInterval: [p.valAP - 0.01, p.valAP + 0.01] as [number, number] })));
  assert.equal(tight.stillRising, true);
  const p2 = tight.projections[0];
  assert.ok(p2.lo! <= p2.valAP && p2.valAP <= p2.hi!, JSON.stringify(p2));
  assert.ok(p2.hi! - p2.lo! > 0, 'the projection carries an interval');
  assert.match(tight.message, /95 % interval/);
});

test('fitPowerLaw recovers a saturating curve', () => {
  const ns = [50, 100, 200, 400, 800];
  const ys = ns.map((n) => 0.5 - 2 * n ** -0.5);
  const f = fitPowerLaw(ns, ys)!;
  assert.ok(Math.abs(f.a - 0.5) < 0.01 && Math.abs(f.c - 0.5) < 0.02, JSON.stringify(f));
});
