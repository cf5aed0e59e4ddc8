// Evaluation during training: the fixed train sample, val loss without side effects, early stop, the
// full report.json at the end, and the config keys behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { ConfigError, validateRunConfig } from '../../trainer/common/config.ts';
import { MaskRcnn, buildMaskRcnnOptions } from '../../trainer/model/mask_rcnn.ts';
import { heldOutLosses, train, trainEvalSample } from '../../trainer/train.ts';
import { ImageCache } from '../../trainer/data/loader.ts';
import { readSnapshot, type ImageRecord } from '../../trainer/data/snapshot.ts';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { tempDir } from '../helpers/tmp.ts';

await initBackend('wasm');
const root = tempDir('fw-train-eval-');
const SIZE = 64;
const shapes = { width: SIZE, height: SIZE, minSize: 12, maxSize: 26 };

test('early stop and the train sample are configured per preset and range-checked', () => {
  assert.equal(validateRunConfig({ preset: 'paper' }).solver.earlyStopPatience, 0, 'off for the paper preset');
  assert.equal(validateRunConfig({ preset: 'cpu' }).solver.earlyStopPatience, 5);
  assert.equal(validateRunConfig({ preset: 'tiny' }).solver.earlyStopPatience, 0);
  for (const p of ['paper', 'cpu', 'tiny']) assert.equal(validateRunConfig({ preset: p }).solver.trainEvalImages, 50);
  for (const bad of [-1, 1.5, '3', 20000]) {
    assert.throws(() => validateRunConfig({ solver: { earlyStopPatience: bad } }), (e: Error) => e instanceof ConfigError && /solver\.earlyStopPatience/.test(e.message));
  }
  for (const bad of [-1, 0.5, null]) {
    assert.throws(() => validateRunConfig({ solver: { trainEvalImages: bad } }), (e: Error) => e instanceof ConfigError && /solver\.trainEvalImages/.test(e.message));
  }
  assert.equal(validateRunConfig({ solver: { earlyStopPatience: 0, trainEvalImages: 0 } }).solver.trainEvalImages, 0);
});

test('the train sample is a fixed, seeded subset of the train split', () => {
  const recs = Array.from({ length: 120 }, (_, i) => ({ id: i + 1 }) as ImageRecord);
  const a = trainEvalSample(7, recs, 50), b = trainEvalSample(7, recs, 50);
  assert.equal(a.length, 50);
  assert.deepEqual(a.map((r) => r.id), b.map((r) => r.id), 'same images every time');
  assert.equal(new Set(a.map((r) => r.id)).size, 50, 'no repeats');
  assert.deepEqual(a.map((r) => r.id), [...a.map((r) => r.id)].sort((x, y) => x - y), 'in snapshot order');
  assert.notDeepEqual(trainEvalSample(8, recs, 50).map((r) => r.id), a.map((r) => r.id), 'another seed, another sample');
  assert.equal(trainEvalSample(7, recs.slice(0, 20), 50).length, 20, 'all of a small train split');
  assert.equal(trainEvalSample(7, recs, 0).length, 0);
});

test('val loss: deterministic, leaves no tensors and changes no weights', async () => {
  const dir = join(root, 'valloss');
  await writeSyntheticRun(dir, { seed: 5, train: 2, val: 3, ...shapes, config: { preset: 'tiny' } });
  const c = validateRunConfig({ preset: 'tiny' });
  const snap = readSnapshot(dir);
  const val = snap.images.filter((r) => r.split === 'val');
  const model = new MaskRcnn(buildMaskRcnnOptions(c, snap.classes.categories.length));
  const cache = new ImageCache();
  const weights = () => [...model.store.params.values()].map((p) => Array.from(p.variable.dataSync()));
  const w0 = weights();
  const first = await heldOutLosses(model, c, val, cache); // may create cached state
  const before = tf.memory().numTensors;
  const second = await heldOutLosses(model, c, val, cache);
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  assert.deepEqual(second, first, 'same batches, same sampling seed → same losses');
  assert.deepEqual(weights(), w0, 'weights untouched');
  for (const k of ['loss_objectness', 'loss_rpn_box', 'loss_classifier', 'loss_box', 'loss_mask', 'total']) assert.ok(Number.isFinite(first[k]), `${k} = ${first[k]}`);
  const sum = Object.entries(first).filter(([k]) => k !== 'total').reduce((s, [, v]) => s + v, 0);
  assert.ok(Math.abs(sum - first.total) < 1e-4, 'total is the sum of the terms');
  model.dispose();
});

test('a run evaluates val and the train sample, logs val loss, stops early, and writes the full report', async () => {
  const dir = join(root, 'early');
  await writeSyntheticRun(dir, {
    seed: 6, train: 6, val: 3, ...shapes,
    config: { preset: 'tiny', backend: 'wasm', solver: { epochs: 4, warmupIterations: 2, evalEveryIterations: 2, trainEvalImages: 4, earlyStopPatience: 1 } },
  });
  const events: TrainerEvent[] = [];
  const end = await train(dir, { onEvent: (e) => events.push(e) });
  assert.equal(end.type, 'done', end.type === 'failed' ? end.reason : '');
  if (end.type !== 'done') return;
  const evals = events.filter((e): e is Extract<TrainerEvent, { type: 'evaluation' }> => e.type === 'evaluation');
  const trainEvals = evals.filter((e) => e.split === 'train'), valEvals = evals.filter((e) => e.split === 'val');
  assert.ok(valEvals.length >= 2, 'periodic val evaluations');
  assert.deepEqual(trainEvals.map((e) => e.iteration), valEvals.map((e) => e.iteration), 'train sample evaluated with every val evaluation');
  for (const e of trainEvals) {
    assert.equal(e.images, 4);
    assert.equal(e.bbox.length, 12);
    assert.equal(e.segm.length, 12);
    assert.ok(e.perCategory && typeof e.perCategory === 'object');
  }
  const valLoss = events.filter((e): e is Extract<TrainerEvent, { type: 'metric' }> => e.type === 'metric' && e.name === 'val/loss');
  assert.deepEqual(valLoss.map((e) => e.iteration), valEvals.map((e) => e.iteration), 'val/loss at each evaluation');
  for (const e of valLoss) assert.ok(Number.isFinite(e.value) && e.value > 0);

  // Patience 1: the run stops at the first evaluation that does not beat the best val box AP.
  const aps = valEvals.map((e) => e.bbox[0]);
  const firstNoGain = aps.findIndex((ap, i) => i > 0 && ap <= Math.max(...aps.slice(0, i)));
  assert.ok(firstNoGain > 0, `val APs ${aps}`);
  assert.equal(valEvals.length, firstNoGain + 1, 'no evaluation after the stop');
  assert.equal(end.reason, 'completed');
  assert.equal(end.stoppedEarly, true);
  assert.ok(end.iteration < 12, `stopped at ${end.iteration} of 12`);
  const bestIdx = aps.indexOf(Math.max(...aps));
  assert.equal(end.bestIteration, valEvals[bestIdx].iteration);
  assert.equal(end.bestBoxAp, aps[bestIdx]);

  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  assert.equal(report.version, 1);
  assert.equal(report.state, 'completed');
  // 12 iterations of tiny on 6 images may not fit the training images: any judged outcome, never null.
  assert.ok(['not_learned', 'still_learning', 'enough', 'borderline', 'too_small'].includes(report.verdict.verdict), report.verdict.verdict);
  assert.deepEqual(report.earlyStop, { stopped: true, atIteration: end.iteration, bestIteration: end.bestIteration });
  assert.equal(report.trainSampleImages, 4);
  assert.equal(report.curves.valLoss.length, valLoss.length);
  assert.equal(report.curves.trainBoxAP.length, trainEvals.length);

  // One writer: the verdict in report.json is the trainer's final verdict event, sent just before its
  // one terminal event (the last); live verdicts came when training started and after each val evaluation.
  const verdicts = events.filter((e): e is Extract<TrainerEvent, { type: 'verdict' }> => e.type === 'verdict');
  assert.equal(events.at(-1)?.type, 'done');
  assert.equal(events.filter((e) => e.type === 'done' || e.type === 'failed').length, 1);
  assert.equal(events.at(-2), verdicts.at(-1));
  assert.equal(verdicts.at(-1)!.final, true);
  assert.deepEqual(verdicts.at(-1)!.verdict.verdict, report.verdict.verdict);
  assert.deepEqual(verdicts.at(-1)!.perClass, report.perClass);
  assert.equal(events[events.findIndex((e) => e.type === 'started') + 1]?.type, 'verdict', 'a verdict (none yet) as training starts');
  assert.equal(verdicts.filter((v) => !v.final).length, valEvals.length, 'one as training starts, one after each val evaluation but the last (the one that stopped the run: its verdict is the final one)');
});

test('a cancelled run writes the full report too', async () => {
  const dir = join(root, 'cancel');
  await writeSyntheticRun(dir, { seed: 7, train: 4, val: 2, ...shapes, config: { preset: 'tiny', backend: 'wasm', solver: { epochs: 4 } } });
  const ac = new AbortController();
  const end = await train(dir, { signal: ac.signal, onEvent: (e) => { if (e.type === 'progress') ac.abort(); } });
  assert.equal(end.type === 'done' && end.reason, 'cancelled');
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  assert.equal(report.state, 'cancelled');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!).type, 'done', 'the terminal event comes last, after the final verdict');
  assert.ok(report.verdict && report.dataset);
  assert.equal(report.earlyStop.stopped, false);
});

test('early stop survives a resume: the patience count is recovered from the run log', async () => {
  const config = { preset: 'tiny', backend: 'wasm', solver: { epochs: 8, warmupIterations: 2, evalEveryIterations: 2, trainEvalImages: 0, earlyStopPatience: 2 } };
  const straight = join(root, 'es-straight'), split = join(root, 'es-split');
  for (const d of [straight, split]) await writeSyntheticRun(d, { seed: 8, train: 4, val: 2, ...shapes, config });
  const a = await train(straight);
  assert.equal(a.type, 'done');
  if (a.type !== 'done') return;
  assert.equal(a.stoppedEarly, true, `ran to ${a.iteration} of 16`);
  // Interrupt after the first evaluation that did not improve, then resume.
  const partial = await train(split, { stopAfterIteration: a.iteration - 2 });
  assert.equal(partial.type === 'done' && partial.reason, 'cancelled');
  const b = await train(split, { resume: true });
  assert.equal(b.type, 'done');
  if (b.type !== 'done') return;
  assert.deepEqual([b.iteration, b.stoppedEarly, b.bestIteration, b.bestBoxAp], [a.iteration, true, a.bestIteration, a.bestBoxAp]);
});
