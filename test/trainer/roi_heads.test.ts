// RoIHeads (trainer/model/roi_heads.ts) on its own: it owns RoI sampling, the foreground selection with
// mask targets, pooling and both branches, for training (losses) and inference (detections + masks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import { buildMaskRcnnOptions } from '../../trainer/model/mask_rcnn.ts';
import { ParamStore } from '../../trainer/model/layers.ts';
import { RoIHeads, maskTargets, type GtInstances, type RoiSample } from '../../trainer/model/roi_heads.ts';
import { Rng } from '../../trainer/common/rng.ts';

await initBackend('wasm');

test('maskTargets keeps the foreground RoIs in order, with their class, image and matched GT crop', () => {
  const rois: RoiSample = {
    boxes: Float32Array.from([0, 0, 4, 4, 1, 1, 5, 5, 2, 2, 6, 6, 3, 3, 7, 7]),
    batchIndex: Int32Array.from([0, 0, 1, 1]),
    labels: Int32Array.from([2, 0, 1, 0]),
    boxTargets: new Float32Array(16),
    matchedGt: Int32Array.from([1, -1, 0, -1]),
  };
  const calls: string[] = [];
  const gtFor = (b: number): GtInstances => ({
    boxes: new Float32Array(8),
    classes: Int32Array.from([1, 2]),
    maskTarget: (index, box, M) => {
      calls.push(`${b}:${index}:${Array.from(box).join(',')}`);
      return new Float32Array(M * M).fill(10 * b + index);
    },
  });
  const t = maskTargets(rois, [gtFor(0), gtFor(1)], 2);
  assert.deepEqual(Array.from(t.boxes), [0, 0, 4, 4, 2, 2, 6, 6]);
  assert.deepEqual(Array.from(t.batchIndex), [0, 1]);
  assert.deepEqual(Array.from(t.classes), [2, 1]);
  assert.deepEqual(Array.from(t.targets), [1, 1, 1, 1, 10, 10, 10, 10]);
  assert.deepEqual(calls, ['0:1:0,0,4,4', '1:0:2,2,6,6']);
});

test('RoIHeads alone: losses with and without foreground, detections with masks, no tensors left behind', async () => {
  const opts = buildMaskRcnnOptions(validateRunConfig({ preset: 'tiny' }), 3);
  const C = opts.fpn.channels;
  const store = new ParamStore(4);
  const levels = [4, 8, 16, 32, 64].map((stride) => ({ channels: C, stride }));
  const heads = new RoIHeads(store, 'roi_heads', levels, opts);
  assert.ok([...store.params.keys()].every((k) => k.startsWith('roi_heads.box.') || k.startsWith('roi_heads.mask.')), 'parameters named as checkpoints have them');
  const features = levels.map((l, i) => tf.randomNormal([2, 64 / l.stride, 64 / l.stride, C], 0, 1, 'float32', i) as tf.Tensor4D);
  const gt: GtInstances[] = [0, 1].map(() => ({
    boxes: Float32Array.from([8, 8, 40, 40]),
    classes: Int32Array.from([2]),
    maskTarget: (_i, _box, M) => new Float32Array(M * M).fill(1),
  }));
  const proposals = [Float32Array.from([9, 9, 41, 41, 30, 30, 60, 60]), Float32Array.from([0, 0, 16, 16])];
  const before = tf.memory().numTensors;
  const f = heads.roiFeatures(features);
  const l = heads.losses(f, proposals, gt, new Rng(1));
  const values: Record<string, number> = Object.fromEntries(await Promise.all(Object.entries(l).map(async ([k, v]) => [k, (await v.data())[0]] as const)));
  tf.dispose(Object.values(l));
  assert.deepEqual(Object.keys(values), ['loss_classifier', 'loss_box', 'loss_mask']);
  for (const [k, v] of Object.entries(values)) assert.ok(Number.isFinite(v) && v > 0, `${k} = ${v}`);
  // no GT anywhere: no foreground RoI, the box and mask terms are zero
  const none = heads.losses(f, proposals, gt.map((g) => ({ ...g, boxes: new Float32Array(0), classes: new Int32Array(0) })), new Rng(1));
  assert.equal(Math.abs((await none.loss_mask.data())[0]), 0);
  assert.equal(Math.abs((await none.loss_box.data())[0]), 0);
  tf.dispose(Object.values(none));

  const dets = await heads.detect(f, [proposals[0], new Float32Array(0)], [[64, 64], [64, 64]]);
  f.table.dispose();
  assert.equal(tf.memory().numTensors, before, 'losses and detect leave no tensors');
  assert.equal(dets.length, 2);
  assert.equal(dets[1].scores.length, 0, 'an image without proposals has no detections');
  const D = dets[0].scores.length;
  assert.equal(dets[0].maskSize, 2 * opts.maskHead.poolSize);
  assert.equal(dets[0].masks.length, D * dets[0].maskSize ** 2);
  assert.ok(dets[0].masks.every((p) => p > 0 && p < 1), 'mask probabilities');
  tf.dispose(features);
  store.dispose();
});
