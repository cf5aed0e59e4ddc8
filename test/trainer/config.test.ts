// validateRunConfig: copies, fills defaults per preset, range-checks with named errors; LR schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, PRESETS, learningRateAt, validateRunConfig } from '../../trainer/common/config.ts';

test('presets fill every value and the paper preset is the paper recipe', () => {
  const p = validateRunConfig({ preset: 'paper' });
  assert.equal(p.backbone.depth, 50);
  assert.deepEqual(p.backbone.blocks, [3, 4, 6, 3]);
  assert.equal(p.norm.groups, 32);
  assert.equal(p.norm.eps, 1e-5);
  assert.equal(p.fpnChannels, 256);
  assert.deepEqual([p.roi.boxHeadConvs, p.roi.boxHeadConvChannels, p.roi.boxHeadFcs, p.roi.boxHeadFcDim], [4, 256, 1, 1024]);
  assert.deepEqual([p.mask.convs, p.mask.channels, p.mask.poolSize], [4, 256, 14]);
  assert.deepEqual([p.rpn.fgIouThresh, p.rpn.bgIouThresh, p.rpn.batchSizePerImage, p.rpn.positiveFraction, p.rpn.nmsThresh], [0.7, 0.3, 256, 0.5, 0.7]);
  assert.deepEqual([p.roi.batchSizePerImage, p.roi.positiveFraction, p.roi.fgIouThresh], [512, 0.25, 0.5]);
  assert.deepEqual(p.roi.boxWeights, [10, 10, 5, 5]);
  assert.deepEqual([p.solver.momentum, p.solver.weightDecay, p.solver.baseLr], [0.9, 1e-4, 0.02]);
  assert.equal(p.input.trainShortSides[0], 800);
  assert.equal(validateRunConfig({}).preset, 'cpu');
  assert.equal(validateRunConfig({}, 'paper').preset, 'paper');
});

test('input is copied, partial nested values merge, depth sets default blocks', () => {
  const input = { preset: 'paper', solver: { epochs: 24 }, backbone: { depth: 101 } };
  const snapshot = structuredClone(input);
  const c = validateRunConfig(input);
  assert.deepEqual(input, snapshot, 'input not mutated');
  assert.equal(c.solver.epochs, 24);
  assert.equal(c.solver.momentum, 0.9);
  assert.deepEqual(c.backbone.blocks, [3, 4, 23, 3]);
  c.solver.epochs = 1;
  assert.equal(PRESETS.paper.solver.epochs, 72, 'presets are not aliased');
});

test('bad values are rejected naming the key and the value', () => {
  assert.throws(() => validateRunConfig({ solver: { imsPerBatch: 0 } }), (e: Error) => e instanceof ConfigError && /solver\.imsPerBatch/.test(e.message) && /0/.test(e.message));
  assert.throws(() => validateRunConfig({ rpn: { fgIouThresh: 0.2, bgIouThresh: 0.3 } }), /rpn IoU/);
  assert.throws(() => validateRunConfig({ preset: 'huge' }), /preset/);
  assert.throws(() => validateRunConfig({ solver: { lr: 1 } }), /unknown key solver\.lr/);
  assert.throws(() => validateRunConfig({ input: { sizeDivisibility: 48 } }), /sizeDivisibility/);
  assert.throws(() => validateRunConfig([]), /config must be an object/);
});

test('LR: linear scaling, warm-up, ÷10 at the paper points measured from the end', () => {
  const s = { ...PRESETS.paper.solver, imsPerBatch: 16, warmupIterations: 1000, warmupFactor: 0.001 };
  const total = 540_000;
  assert.ok(Math.abs(learningRateAt(s, 0, total) - 0.02 * 0.001) < 1e-12);
  assert.ok(Math.abs(learningRateAt(s, 500, total) - 0.02 * (0.001 * 0.5 + 0.5)) < 1e-9);
  assert.equal(learningRateAt(s, 1000, total), 0.02);
  assert.equal(learningRateAt(s, 479_999, total), 0.02);
  assert.ok(Math.abs(learningRateAt(s, 480_000, total) - 0.002) < 1e-12);
  assert.ok(Math.abs(learningRateAt(s, 520_000, total) - 0.0002) < 1e-12);
  assert.ok(Math.abs(learningRateAt({ ...s, imsPerBatch: 2 }, 2000, total) - 0.0025) < 1e-12);
});
