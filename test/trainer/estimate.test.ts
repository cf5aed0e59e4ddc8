// estimate(): a measured warm-up on the run's own images and config; leaves the run folder as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { initBackend } from '../../trainer/backend/index.ts';
import { estimate } from '../../trainer/train.ts';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import { tempDir } from '../helpers/tmp.ts';

await initBackend('wasm');
const root = tempDir('fw-estimate-');

function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)} ${s.size} ${s.mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

test('estimate measures train steps on the run and writes nothing into its folder', async () => {
  const dir = join(root, 'run');
  await writeSyntheticRun(dir, {
    seed: 9, train: 6, val: 2, width: 64, height: 64, minSize: 12, maxSize: 26,
    config: { preset: 'tiny', backend: 'wasm', solver: { epochs: 10, evalEveryIterations: 10 } },
  });
  const before = listing(dir);
  const r = await estimate(dir, { iterations: 2 });
  assert.deepEqual(listing(dir), before, 'run folder untouched');
  assert.equal(r.backend, 'wasm');
  assert.equal(r.timedIterations, 2);
  assert.equal(r.totalIterations, 30, '10 epochs × 6 images / 2 per batch');
  assert.ok(r.secondsPerIteration > 0 && Number.isFinite(r.secondsPerIteration));
  assert.ok(Math.abs(r.imagesPerSecond - 2 / r.secondsPerIteration) < 1e-9);
  assert.ok(r.evaluationSeconds > 0, 'evaluation rounds priced');
  assert.ok(r.finalSeconds! > 0, 'the final predictions on val priced');
  assert.ok(Math.abs(r.estimatedSeconds - (r.secondsPerIteration * 30 + r.evaluationSeconds + r.finalSeconds!)) < 1e-9);
  await assert.rejects(estimate(dir, { iterations: 0 }), /iterations/);
  await assert.rejects(estimate(join(root, 'nope')), /does not exist/);
});

test('CLI: fieldwork-train estimate --json prints one result line; bad --iterations is a usage error', () => {
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'fieldwork-train.js');
  const dir = join(root, 'run');
  const before = listing(dir);
  const ok = spawnSync(process.execPath, [bin, 'estimate', dir, '--iterations', '1', '--json'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const r = JSON.parse(ok.stdout.trim());
  for (const k of ['backend', 'imagesPerSecond', 'secondsPerIteration', 'totalIterations', 'estimatedSeconds']) assert.ok(k in r, k);
  assert.equal(r.timedIterations, 1);
  assert.deepEqual(listing(dir), before, 'run folder untouched');
  assert.equal(spawnSync(process.execPath, [bin, 'estimate', dir, '--iterations', 'x'], { encoding: 'utf8' }).status, 2);
});

test('an evaluation round is priced from the forward pass and the per-detection cost at twice the labelled instances, not at the untrained model\'s many detections', async () => {
  const { readFileSync } = await import('node:fs');
  const { validateRunConfig } = await import('../../trainer/common/config.ts');
  const { readSnapshot } = await import('../../trainer/data/snapshot.ts');
  const { ImageCache } = await import('../../trainer/data/loader.ts');
  const { MaskRcnn, buildMaskRcnnOptions } = await import('../../trainer/model/mask_rcnn.ts');
  const { predictRecords } = await import('../../trainer/predict.ts');
  const { measureEvaluationSeconds } = await import('../../trainer/engine/evaluation.ts');
  const dir = join(root, 'priced');
  // scoreThresh 0: the untrained model keeps every detection it may (far more than the images' instances).
  await writeSyntheticRun(dir, {
    seed: 3, train: 2, val: 2, width: 64, height: 64, minSize: 12, maxSize: 26,
    config: { preset: 'tiny', backend: 'wasm', roi: { scoreThresh: 0 }, solver: { epochs: 1 } },
  });
  const c = validateRunConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const snap = readSnapshot(dir);
  const train = snap.images.filter((r) => r.split === 'train');
  const val = snap.images.filter((r) => r.split === 'val');
  const model = new MaskRcnn(buildMaskRcnnOptions(c, snap.classes.categories.length));
  const cache = new ImageCache();
  try {
    const B = c.solver.imsPerBatch;
    const kept = (await predictRecords(model, c, snap.classes.categories, val.slice(0, B), cache, B)).length;
    const instances = val.reduce((n, r) => n + r.instances.length, 0) / val.length;
    assert.ok(kept / B > 2 * instances, `the untrained model keeps ${kept / B} detections per image, more than 2 × ${instances}`);
    // A scripted clock: the forward pass takes 1 s, turning the detections into masks 10 s, the val loss 0 s.
    const ticks = [0, 1, 1, 11, 11, 11];
    let call = 0;
    const clock = () => ticks[Math.min(call++, ticks.length - 1)];
    const round = await measureEvaluationSeconds(model, c, snap, train, val, [], cache, null, clock);
    const perImage = 1 / B + (10 / kept) * 2 * instances;
    assert.ok(Math.abs(round - val.length * perImage) < 1e-9, `round ${round} s, want ${val.length * perImage} s`);
    assert.ok(round < (val.length * 11) / B, 'cheaper than pricing every detection the untrained model keeps');
  } finally {
    model.dispose();
  }
});
