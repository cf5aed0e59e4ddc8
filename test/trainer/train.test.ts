// Train-loop properties: no tensor leaks, empty images train, exact checkpoint/resume, events and
// files of the run contract, CLI exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import { MaskRcnn, buildMaskRcnnOptions, type GtInstances } from '../../trainer/model/mask_rcnn.ts';
import { SgdMomentum } from '../../trainer/optim.ts';
import { trainStep, train, batchIndices } from '../../trainer/train.ts';
import { readCheckpoint } from '../../trainer/checkpoint.ts';
import { syntheticImage, writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import { maskTarget } from '../../trainer/data/mask_targets.ts';
import { rleFromPolygons, rleToMask } from '../../trainer/common/rle.ts';
import { Rng } from '../../trainer/common/rng.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';

await initBackend('wasm');
const root = mkdtempSync(join(tmpdir(), 'fw-train-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const SIZE = 64;
function syntheticBatch(n: number, seed: number, empty: boolean[] = []) {
  const imgs = Array.from({ length: n }, (_, i) => syntheticImage(seed, i, { width: SIZE, height: SIZE, minObjects: 1, maxObjects: 3, minSize: 12, maxSize: 26 }));
  const data = new Float32Array(n * SIZE * SIZE * 3);
  imgs.forEach((im, b) => im.pixels.forEach((v, k) => (data[b * SIZE * SIZE * 3 + k] = (v - 127.5) / 64)));
  const gt: GtInstances[] = imgs.map((im, b) => {
    const objs = empty[b] ? [] : im.objects;
    const masks = objs.map((o) => rleToMask(rleFromPolygons([o.polygon], SIZE, SIZE)));
    return {
      boxes: Float32Array.from(objs.flatMap((o) => [o.bbox[0], o.bbox[1], o.bbox[0] + o.bbox[2], o.bbox[1] + o.bbox[3]])),
      classes: Int32Array.from(objs.map((o) => o.categoryId)),
      maskTarget: (i, box, M) => maskTarget({ data: masks[i], height: SIZE, width: SIZE }, box, M),
    };
  });
  return { images: () => tf.tensor4d(data, [n, SIZE, SIZE, 3]), sizes: imgs.map(() => [SIZE, SIZE] as [number, number]), gt };
}

test('train steps and a prediction leave no tensors behind', async () => {
  const c = validateRunConfig({ preset: 'tiny' });
  const model = new MaskRcnn(buildMaskRcnnOptions(c, 4));
  const opt = new SgdMomentum(model.store, 0.9, 1e-4);
  const b = syntheticBatch(2, 3);
  const step = async () => {
    const images = b.images();
    const l = await trainStep(model, opt, { images, sizes: b.sizes }, b.gt, 0.01, new Rng(1), 10);
    images.dispose();
    return l;
  };
  await step(); // first step may create lazily cached state
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await step();
  assert.equal(tf.memory().numTensors, before, 'after train steps');
  const images = b.images();
  await model.detect({ images, sizes: b.sizes });
  images.dispose();
  assert.equal(tf.memory().numTensors, before, 'after a prediction');
  opt.dispose();
  model.dispose();
});

test('images without objects, and batches without any positives, train with finite zero-safe losses', async () => {
  const c = validateRunConfig({ preset: 'tiny' });
  const model = new MaskRcnn(buildMaskRcnnOptions(c, 4));
  const opt = new SgdMomentum(model.store, 0.9, 1e-4);
  for (const empty of [[true, false], [true, true]]) {
    const b = syntheticBatch(2, 4, empty);
    const images = b.images();
    const l = await trainStep(model, opt, { images, sizes: b.sizes }, b.gt, 0.01, new Rng(2), 0);
    images.dispose();
    for (const [k, v] of Object.entries(l)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
    if (empty.every(Boolean)) {
      assert.equal(l.loss_mask, 0);
      assert.equal(l.loss_box, 0);
      assert.equal(l.loss_rpn_box, 0);
    }
  }
  opt.dispose();
  model.dispose();
});

test('data order is a per-epoch permutation known for any iteration', () => {
  const seen = Array.from({ length: 5 }, (_, it) => batchIndices(7, it, 2, 10)).flat();
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(batchIndices(7, 3, 2, 10), batchIndices(7, 3, 2, 10));
});

const tinyRunConfig = { preset: 'tiny', backend: 'wasm', solver: { epochs: 3, checkpointEveryIterations: 0, evalEveryIterations: 0, evaluations: 0, warmupIterations: 2 } };

test('train k steps + resume = train N steps (same weights, same momentum)', async () => {
  const straight = join(root, 'straight'), split = join(root, 'split');
  for (const d of [straight, split]) await writeSyntheticRun(d, { seed: 2, train: 4, val: 0, width: SIZE, height: SIZE, minSize: 12, maxSize: 26, config: tinyRunConfig });
  const a = await train(straight);
  assert.equal(a.type, 'done');
  const partial = await train(split, { stopAfterIteration: 2 });
  assert.equal(partial.type, 'done');
  assert.equal(partial.type === 'done' && partial.reason, 'cancelled');
  assert.equal(readCheckpoint(join(split, 'checkpoints', 'last')).state.iteration, 2);
  const b = await train(split, { resume: true });
  assert.equal(b.type, 'done');
  const ca = readCheckpoint(join(straight, 'checkpoints', 'last')), cb = readCheckpoint(join(split, 'checkpoints', 'last'));
  assert.equal(ca.state.iteration, 6);
  assert.equal(cb.state.iteration, 6);
  for (const [name, p] of ca.params) assert.deepEqual(cb.params.get(name)!.data, p.data, `parameter ${name}`);
  for (const [name, p] of ca.momentum) assert.deepEqual(cb.momentum.get(name)!.data, p.data, `momentum ${name}`);
});

test('resuming a run that stopped before its first checkpoint trains it from the beginning, like a fresh run', async () => {
  const fresh = join(root, 'fresh'), early = join(root, 'early');
  for (const d of [fresh, early]) await writeSyntheticRun(d, { seed: 2, train: 4, val: 0, width: SIZE, height: SIZE, minSize: 12, maxSize: 26, config: tinyRunConfig });
  const a = await train(fresh);
  const b = await train(early, { resume: true });
  assert.equal(b.type, 'done', b.type === 'failed' ? b.reason : '');
  assert.equal(b.type === 'done' && b.reason, 'completed');
  assert.match(readFileSync(join(early, 'log.txt'), 'utf8'), /resume: no checkpoint yet .* starting from the beginning/);
  assert.equal(a.type === 'done' && a.iteration, 6);
  const ca = readCheckpoint(join(fresh, 'checkpoints', 'last')), cb = readCheckpoint(join(early, 'checkpoints', 'last'));
  for (const [name, p] of ca.params) assert.deepEqual(cb.params.get(name)!.data, p.data, `parameter ${name}`);
});

test('a run writes the contract files and events; a crash ends in a failed event', async () => {
  const dir = join(root, 'contract');
  await writeSyntheticRun(dir, { seed: 3, train: 4, val: 2, width: SIZE, height: SIZE, minSize: 12, maxSize: 26, config: { ...tinyRunConfig, solver: { epochs: 1 } } });
  const events: TrainerEvent[] = [];
  const end = await train(dir, { onEvent: (e) => events.push(e) });
  assert.equal(end.type, 'done');
  const types = new Set(events.map((e) => e.type));
  for (const t of ['started', 'progress', 'checkpoint', 'evaluation', 'metric', 'done']) assert.ok(types.has(t as TrainerEvent['type']), `event ${t}`);
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.type), events.map((e) => e.type));
  for (const f of ['log.txt', 'predictions.json', 'report.json', 'checkpoints/last', 'checkpoints/best']) assert.ok(existsSync(join(dir, f)), f);
  const ev = events.find((e) => e.type === 'evaluation');
  assert.ok(ev && ev.type === 'evaluation' && ev.bbox.length === 12 && ev.segm.length === 12);
  const preds = JSON.parse(readFileSync(join(dir, 'predictions.json'), 'utf8'));
  assert.ok(Array.isArray(preds));
  for (const p of preds.slice(0, 5)) {
    assert.deepEqual(Object.keys(p).sort(), ['bbox', 'category_id', 'image_id', 'score', 'segmentation']);
    assert.equal(typeof p.segmentation.counts, 'string');
    assert.deepEqual(p.segmentation.size, [SIZE, SIZE]);
  }

  const broken = join(root, 'broken');
  await writeSyntheticRun(broken, { seed: 3, train: 2, val: 0, width: SIZE, height: SIZE, config: { preset: 'tiny', solver: { imsPerBatch: -3 } } });
  const fail = await train(broken);
  assert.equal(fail.type, 'failed');
  assert.match(fail.type === 'failed' ? fail.reason : '', /solver\.imsPerBatch/);
  const last = JSON.parse(readFileSync(join(broken, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!);
  assert.equal(last.type, 'failed');
  assert.match(readFileSync(join(broken, 'log.txt'), 'utf8'), /failed: .*imsPerBatch/);
});

test('CLI: usage, failure exit code with a one-line reason, predict to COCO results', () => {
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'fieldwork-train.js');
  const usage = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
  const missing = spawnSync(process.execPath, [bin, 'train', join(root, 'nope'), '--json'], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.equal(JSON.parse(missing.stdout.trim().split('\n').pop()!).type, 'failed');
  assert.match(missing.stderr.trim(), /^fieldwork-train: .*does not exist$/);
  const dir = join(root, 'contract');
  const out = join(root, 'preds.json');
  const pred = spawnSync(process.execPath, [bin, 'predict', dir, '--images', join(dir, 'snapshot.json'), '--out', out, '--json'], { encoding: 'utf8' });
  assert.equal(pred.status, 0, pred.stderr);
  const results = JSON.parse(readFileSync(out, 'utf8'));
  const ids = new Set(JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')).images.map((i: { id: number }) => i.id));
  assert.ok(results.every((r: { image_id: number }) => ids.has(r.image_id)));
});
