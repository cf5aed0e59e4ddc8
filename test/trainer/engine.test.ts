// The training loop's skeleton (trainer/engine/loop.ts): hooks in order around each step, a hook's
// stop ends the loop after that step, and a failing step ends the run without afterTrain. Also the
// trainer as the one writer of a failed run's report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLoop, type Hook, type LoopState, type Stepper } from '../../trainer/engine/loop.ts';
import { train } from '../../trainer/train.ts';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import { tempDir } from '../helpers/tmp.ts';

const fresh = (stopAt: number): LoopState => ({ iteration: 0, stopAt, stopReason: null, losses: {}, lr: 0 });

function recording(calls: string[], name: string, extra: Partial<Hook> = {}): Hook {
  return {
    beforeTrain: (l) => void calls.push(`${name}.before@${l.iteration}`),
    afterStep: async (l) => {
      calls.push(`${name}.step@${l.iteration}`);
      await extra.afterStep?.(l);
    },
    afterTrain: (l) => void calls.push(`${name}.after@${l.iteration}`),
  };
}

const stepper = (calls: string[], failAt = -1): Stepper => ({
  async step(it) {
    if (it === failAt) throw new Error(`step ${it} failed`);
    calls.push(`step ${it}`);
    return { losses: { total: 1 / (it + 1) }, lr: 0.01 * it };
  },
  async drain() {
    calls.push('drain');
  },
});

test('hooks run in order before training, after every step and after training; the loop state carries the step', async () => {
  const calls: string[] = [];
  const loop = fresh(2);
  await runLoop(loop, stepper(calls), [recording(calls, 'a'), recording(calls, 'b')]);
  assert.deepEqual(calls, ['a.before@0', 'b.before@0', 'step 0', 'a.step@1', 'b.step@1', 'step 1', 'a.step@2', 'b.step@2', 'drain', 'a.after@2', 'b.after@2']);
  assert.deepEqual(loop.losses, { total: 0.5 });
  assert.equal(loop.lr, 0.01);
});

test('a hook that stops the run ends the loop after that step: later hooks skip that step, afterTrain still runs', async () => {
  const calls: string[] = [];
  const loop = fresh(10);
  const stopper = recording(calls, 'stop', { afterStep: (l) => { if (l.iteration === 3) l.stopReason = 'early'; } });
  await runLoop(loop, stepper(calls), [stopper, recording(calls, 'later')]);
  assert.equal(loop.iteration, 3);
  assert.equal(loop.stopReason, 'early');
  assert.ok(!calls.includes('later.step@3'), 'hooks after the stopping one skip its step');
  assert.deepEqual(calls.slice(-3), ['drain', 'stop.after@3', 'later.after@3']);
});

test('a hook may move stopAt (a budget run that learns its length)', async () => {
  const calls: string[] = [];
  const loop = fresh(2);
  await runLoop(loop, stepper(calls), [{ afterStep: (l) => { if (l.iteration === 1) l.stopAt = 4; } }]);
  assert.equal(loop.iteration, 4);
});

test('a failing step ends the run at once: no afterTrain (the caller reports the failure)', async () => {
  const calls: string[] = [];
  await assert.rejects(runLoop(fresh(5), stepper(calls, 2), [recording(calls, 'a')]), /step 2 failed/);
  assert.ok(!calls.some((c) => c.includes('.after@')));
});

test('a failed run: the trainer writes report.json (no verdict) and sends its final verdict before its failed event', async () => {
  const dir = join(tempDir('fw-engine-'), 'broken');
  await writeSyntheticRun(dir, { seed: 3, train: 2, val: 1, width: 64, height: 64, config: { preset: 'tiny', solver: { imsPerBatch: -3 } } });
  const end = await train(dir);
  assert.equal(end.type, 'failed');
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  assert.equal(report.state, 'failed');
  assert.equal(report.verdict.verdict, null, 'a failed run gets no verdict');
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.slice(-2).map((e) => [e.type, e.final ?? null]), [['verdict', true], ['failed', null]]);
  assert.equal(lines.filter((e) => e.type === 'failed' || e.type === 'done').length, 1);
});
