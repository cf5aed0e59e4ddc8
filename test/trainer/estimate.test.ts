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
