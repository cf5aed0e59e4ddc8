// Any number of classes from 1 up: a one-class and a many-class dataset train, predict, evaluate and
// report (a one-class run used to fail at its first step: "Error in oneHot: depth must be >=2").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { selectClassMasks } from '../../trainer/model/mask_head.ts';
import { maskRcnnLoss } from '../../trainer/model/losses.ts';
import { train } from '../../trainer/train.ts';
import { predict } from '../../trainer/predict.ts';
import { writeSyntheticRun, syntheticCategories } from '../../trainer/data/synthetic.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import type { CocoResult } from '../../trainer/common/coco.ts';
import { tempDir } from '../helpers/tmp.ts';

await initBackend('wasm');
const root = tempDir('fw-classes-');
const shapes = { width: 64, height: 64, minSize: 12, maxSize: 26 };

test('selectClassMasks picks each RoI\'s own class for K = 1 and K = 12, and rejects classes outside 1..K', () => {
  const before = tf.memory().numTensors;
  // K = 1: the own-class logits are the only channel.
  const one = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]);
  const s1 = selectClassMasks(one, [1, 1]);
  assert.deepEqual(Array.from(s1.dataSync()), [1, 2, 3, 4, 5, 6, 7, 8]);
  // K = 12: channel k holds the value k + 1, so RoI r must read its class number back.
  const many = tf.tidy(() => tf.tile(tf.reshape(tf.range(1, 13, 1, 'float32'), [1, 1, 1, 12]), [3, 2, 2, 1])) as tf.Tensor4D;
  const s12 = selectClassMasks(many, [12, 1, 7]);
  assert.deepEqual(Array.from(s12.dataSync()), [12, 12, 12, 12, 1, 1, 1, 1, 7, 7, 7, 7]);
  const loss = maskRcnnLoss(one, [1, 1], new Float32Array(8).fill(1));
  assert.ok(Number.isFinite(loss.dataSync()[0]) && loss.dataSync()[0] > 0);
  assert.throws(() => selectClassMasks(many, [13, 1, 1]), /Error in selectClassMasks: class 13 of RoI 0 is outside 1\.\.12/);
  assert.throws(() => selectClassMasks(one, [0, 1]), /class 0 .* outside 1\.\.1/);
  for (const t of [one, s1, many, s12, loss]) t.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
});

for (const classes of [1, 12]) {
  test(`a ${classes}-class dataset trains, predicts, evaluates per class and writes its report`, async () => {
    const dir = join(root, `k${classes}`);
    await writeSyntheticRun(dir, {
      seed: 30 + classes, train: 6, val: 3, classes, minObjects: 2, maxObjects: 4, ...shapes,
      config: { preset: 'tiny', backend: 'wasm', roi: { scoreThresh: 0 }, solver: { epochs: 2, warmupIterations: 2, evalEveryIterations: 2, trainEvalImages: 2 } },
    });
    const snap = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8'));
    assert.equal(snap.categories.length, classes);
    const events: TrainerEvent[] = [];
    const end = await train(dir, { onEvent: (e) => events.push(e) });
    assert.equal(end.type, 'done', end.type === 'failed' ? end.reason : '');
    assert.equal(end.type === 'done' && end.reason, 'completed');
    const valEvals = events.filter((e): e is Extract<TrainerEvent, { type: 'evaluation' }> => e.type === 'evaluation' && e.split === 'val');
    assert.ok(valEvals.length >= 2, 'evaluated during and at the end of the run');
    const last = valEvals.at(-1)!;
    assert.equal(last.bbox.length, 12);
    assert.equal(last.segm.length, 12);
    const gtClasses = new Set<number>(snap.annotations.filter((a: { image_id: number }) => snap.images.find((i: { id: number; split: string }) => i.id === a.image_id)?.split === 'val').map((a: { category_id: number }) => a.category_id));
    for (const id of gtClasses) assert.ok(String(id) in (last.perCategory ?? {}), `val AP for class ${id}`);

    // Predictions on val with the headless predict command: every category id is one of the dataset's.
    const out = join(dir, 'pred.json');
    const n = await predict(dir, { images: join(dir, 'snapshot.json'), out });
    assert.ok(n > 0, 'detections were made');
    const results = JSON.parse(readFileSync(out, 'utf8')) as CocoResult[];
    const ids = new Set(syntheticCategories(classes).map((c) => c.id));
    for (const r of results) assert.ok(ids.has(r.category_id), `category ${r.category_id}`);
    if (classes > 1) assert.ok(new Set(results.map((r) => r.category_id)).size > 1, 'more than one class predicted');

    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.equal(report.state, 'completed');
    // A short run on synthetic shapes may or may not have fit its training images: any judged outcome, never null.
    assert.ok(['not_learned', 'still_learning', 'enough', 'borderline', 'too_small'].includes(report.verdict.verdict), report.verdict.verdict);
    assert.equal(report.perClass.length, classes, 'one row per class');
  });
}
