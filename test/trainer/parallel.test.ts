// Data parallelism over worker threads (trainer/parallel): the averaged gradients equal the
// image-weighted mean of each shard's gradients computed in this thread, detections equal the
// in-thread ones, workers follow the weights after every step, nothing leaks in either thread, a
// worker's error fails the step with its reason, and windowed masks give the same mask targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, useBackendForTest } from '../../trainer/backend/index.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import { gtInstances, makeBatch, type Sample } from '../../trainer/data/loader.ts';
import { cropMask, maskTarget } from '../../trainer/data/mask_targets.ts';
import { Rng } from '../../trainer/common/rng.ts';
import { SYNTHETIC_CATEGORIES } from '../../trainer/data/synthetic.ts';
import { MaskRcnn, buildMaskRcnnOptions } from '../../trainer/model/mask_rcnn.ts';
import { SgdMomentum } from '../../trainer/optim.ts';
import { syntheticSamples } from '../helpers/samples.ts';
import { DataParallel, resolveWasmThreads, resolveWorkers, shardSeed, shardSizes } from '../../trainer/parallel/data_parallel.ts';
import { computeGrads } from '../../trainer/step.ts';

const backend = await initBackend('wasm');
const SIZE = 64;

const samples = (n: number, seed: number): Sample[] => syntheticSamples(n, seed, { size: SIZE, minSize: 12, flipOdd: true });

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1e-3 + Math.abs(b[i])));
  return m;
}

/** Every gradient within 1e-4 (relative) of the reference; disposes the gradients. */
function assertGradsMatch(grads: Record<string, tf.Tensor>, want: Map<string, Float32Array>, what = ''): void {
  for (const [name, w] of want) {
    const d = maxRelDiff(grads[name].dataSync() as Float32Array, w);
    assert.ok(d < 1e-4, `${what}${name} differs by ${d}`);
  }
  tf.dispose(Object.values(grads));
}

const config = validateRunConfig({ preset: 'tiny' });
const options = buildMaskRcnnOptions(config, SYNTHETIC_CATEGORIES.length);

/** In-thread reference: each shard's gradients, weighted by its images. */
async function referenceGrads(model: MaskRcnn, all: Sample[], shards: number, seed: number): Promise<Map<string, Float32Array>> {
  const sizes = shardSizes(all.length, shards);
  const out = new Map<string, Float32Array>();
  let start = 0;
  for (const [k, n] of sizes.entries()) {
    const part = all.slice(start, start + n);
    start += n;
    const batch = makeBatch(part, 32);
    const { grads } = await computeGrads(model, batch, part.map((s) => gtInstances(s.truth!)), new Rng(shardSeed(seed, k)));
    for (const p of model.store.params.values()) {
      const g = grads[p.variable.name] ? (grads[p.variable.name].dataSync() as Float32Array) : new Float32Array(p.variable.size);
      const acc = out.get(p.variable.name) ?? new Float32Array(p.variable.size);
      for (let i = 0; i < acc.length; i++) acc[i] += (g[i] * n) / all.length;
      out.set(p.variable.name, acc);
    }
    tf.dispose([batch.images, ...Object.values(grads)]);
  }
  return out;
}

test('shards: sizes differ by at most one, seeds differ per shard, thread count follows cores and backend', () => {
  assert.deepEqual(shardSizes(4, 2), [2, 2]);
  assert.deepEqual(shardSizes(3, 2), [2, 1]);
  assert.deepEqual(shardSizes(5, 3), [2, 2, 1]);
  assert.equal(shardSeed(77, 0), 77);
  assert.notEqual(shardSeed(77, 1), shardSeed(77, 2));
  assert.equal(resolveWorkers(0, 'wasm', 4, 2), 2);
  assert.equal(resolveWorkers(0, 'wasm', 4, 8), 4, 'never more threads than images in a batch');
  assert.equal(resolveWorkers(3, 'cpu', 4, 2), 3, 'an explicit count wins over the core count');
  assert.equal(resolveWorkers(0, 'tensorflow', 4, 8), 1, 'native TensorFlow is multi-threaded itself');
  assert.equal(resolveWasmThreads(0, 2, 2), 1, 'two shards on two cores: no cores left over');
  assert.equal(resolveWasmThreads(0, 1, 2), 2, 'one shard (one image per batch) gets both cores');
  assert.equal(resolveWasmThreads(0, 4, 8), 2);
  assert.equal(resolveWasmThreads(3, 2, 2), 3, 'an explicit count wins');
});

test('a mask cropped to its content gives the same mask targets as the full mask', () => {
  const rng = new Rng(4);
  const H = 40, W = 50;
  const data = new Uint8Array(H * W);
  for (let y = 12; y < 30; y++) for (let x = 7 + (y % 5); x < 33; x++) data[y * W + x] = rng.next() < 0.9 ? 1 : 0;
  const full = { data, height: H, width: W };
  const crop = cropMask(full);
  assert.ok(crop.data.length < data.length / 2, `cropped ${crop.data.length} of ${data.length}`);
  for (let k = 0; k < 50; k++) {
    const x1 = rng.next() * 60 - 10, y1 = rng.next() * 50 - 10;
    const box = [x1, y1, x1 + 1 + rng.next() * 40, y1 + 1 + rng.next() * 40];
    for (const flip of [false, true]) assert.deepEqual(maskTarget(crop, box, 14, flip), maskTarget(full, box, 14, flip));
  }
  assert.equal(cropMask({ data: new Uint8Array(H * W), height: H, width: W }).data.length, 0);
});

test('two threads: averaged gradients equal the in-thread reference, before and after an optimiser step', async () => {
  const model = new MaskRcnn(options);
  const optim = new SgdMomentum(model.store, 0.9, 1e-4);
  const pool = await DataParallel.start(2, backend, options);
  try {
    assert.equal(pool.shards, 2);
    const all = samples(3, 11); // uneven: 2 + 1
    for (const round of [0, 1]) {
      const want = await referenceGrads(model, all, 2, 900 + round);
      const { grads, parts } = await pool.gradients(model, all, 32, 900 + round);
      assert.ok(Number.isFinite(parts.total) && parts.total > 0, `total loss ${parts.total}`);
      assertGradsMatch(grads, want, `round ${round}: `);
      // A step changes the weights; the worker must compute the next round with the new ones.
      await pool.trainStep(model, optim, all, 32, 0.02, 950 + round, 0);
    }
  } finally {
    await pool.close();
    optim.dispose();
    model.dispose();
  }
});

test('two threads: detections equal in-thread detections, in input order', async () => {
  const model = new MaskRcnn(options);
  const pool = await DataParallel.start(2, backend, options);
  try {
    const all = samples(4, 12).map(({ pixels, height, width }) => ({ pixels, height, width }));
    const got = await pool.detect(model, all, 32);
    assert.equal(got.length, 4);
    for (const [start, n] of [[0, 2], [2, 2]]) {
      const batch = makeBatch(all.slice(start, start + n), 32);
      const want = await model.detect(batch);
      batch.images.dispose();
      want.forEach((w, i) => {
        const g = got[start + i];
        assert.equal(g.scores.length, w.scores.length, `image ${start + i}`);
        assert.ok(maxRelDiff(g.boxes, w.boxes) < 1e-4 && maxRelDiff(g.scores, w.scores) < 1e-4 && maxRelDiff(g.masks, w.masks) < 1e-4, `image ${start + i}`);
        assert.deepEqual([...g.classes], [...w.classes]);
      });
    }
  } finally {
    await pool.close();
    model.dispose();
  }
});

test('two threads: no tensors leak in either thread across steps and predictions', async () => {
  const model = new MaskRcnn(options);
  const optim = new SgdMomentum(model.store, 0.9, 1e-4);
  const pool = await DataParallel.start(2, backend, options);
  try {
    const all = samples(4, 13);
    const round = async (k: number) => {
      await pool.trainStep(model, optim, all, 32, 0.01, k, 5);
      await pool.detect(model, all, 32);
    };
    await round(1);
    const main0 = tf.memory().numTensors, [worker0] = await pool.workerTensors();
    for (let k = 2; k < 5; k++) await round(k);
    assert.equal(tf.memory().numTensors, main0, 'this thread');
    assert.deepEqual(await pool.workerTensors(), [worker0], 'the worker');
  } finally {
    await pool.close();
    optim.dispose();
    model.dispose();
  }
});

test("a worker's error fails the step with its reason, and the pool keeps working", async () => {
  const model = new MaskRcnn(options);
  const pool = await DataParallel.start(2, backend, options);
  try {
    const all = samples(2, 14);
    // The second image claims a mask its truth does not have: the worker cannot build its targets.
    all[1].truth!.classes = Int32Array.from([...all[1].truth!.classes, 1]);
    all[1].truth!.boxes = Float32Array.from([...all[1].truth!.boxes, 10, 10, 40, 40]);
    const before = tf.memory().numTensors;
    await assert.rejects(pool.gradients(model, all, 32, 1), /Error in gtInstances: instance \d has no mask/);
    assert.equal(tf.memory().numTensors, before, 'the failed step left no tensors here');
    const ok = samples(2, 15);
    const { grads } = await pool.gradients(model, ok, 32, 2);
    assert.ok(Object.keys(grads).length > 0);
    tf.dispose(Object.values(grads));
  } finally {
    await pool.close();
    model.dispose();
  }
});

test('workers that cannot start: start() fails with their reason, startOrSingle() falls back to one thread', async () => {
  const broken = { ...options, numClasses: 0 }; // the worker's model constructor throws
  await assert.rejects(DataParallel.start(2, backend, broken), /worker 1 could not start: Error in MaskRcnn: numClasses must be ≥ 1/);
  const reasons: string[] = [];
  const pool = await DataParallel.startOrSingle(2, backend, broken, (why) => reasons.push(why));
  try {
    assert.equal(pool.shards, 1);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /numClasses must be ≥ 1/);
  } finally {
    await pool.close();
  }
});

test("a worker on tfjs' threaded WASM build (2 XNNPACK threads) computes the same gradients and detections", async () => {
  const model = new MaskRcnn(options);
  const pool = await DataParallel.start(2, backend, options, 2);
  try {
    assert.deepEqual(await pool.workerWasmThreads(), [2], 'the worker runs the threaded build with a 2-thread pool');
    const all = samples(4, 16);
    const want = await referenceGrads(model, all, 2, 77);
    const { grads } = await pool.gradients(model, all, 32, 77);
    assertGradsMatch(grads, want);
    const images = all.map(({ pixels, height, width }) => ({ pixels, height, width }));
    const got = await pool.detect(model, images, 32);
    const batch = makeBatch(images.slice(2), 32);
    const wantDets = await model.detect(batch);
    batch.images.dispose();
    wantDets.forEach((w, i) => {
      assert.equal(got[2 + i].scores.length, w.scores.length);
      assert.ok(maxRelDiff(got[2 + i].masks, w.masks) < 1e-4 && maxRelDiff(got[2 + i].boxes, w.boxes) < 1e-4);
    });
  } finally {
    await pool.close();
    model.dispose();
  }
});

test('the pure-JS backend: workers on it give the averaged gradients this thread computes on it', async () => {
  await useBackendForTest('cpu');
  const model = new MaskRcnn(options);
  const pool = await DataParallel.start(2, 'cpu', options);
  try {
    assert.deepEqual(await pool.workerWasmThreads(), [1]);
    const all = samples(2, 17);
    const want = await referenceGrads(model, all, 2, 5);
    const { grads } = await pool.gradients(model, all, 32, 5);
    assertGradsMatch(grads, want);
  } finally {
    await pool.close();
    model.dispose();
    await useBackendForTest('wasm');
  }
});
