// "Train 1 h more" through the one API dispatch: runs.extend continues a finished run from its last
// checkpoint by starting the trainer's `extend` command on the same run folder, and refuses a run with
// no checkpoint (or a bad length) with a user error, as data, before any trainer starts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../../electron/api.ts';
import { createApiDispatcher } from '../../electron/services/dispatch.ts';
import type { TrainerLauncher } from '../../electron/services/runs.ts';
import { Workbench } from '../../electron/services/workbench.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

const resourcesDir = fileURLToPath(new URL('../../resources', import.meta.url));

/** A stand-in trainer: `train` writes checkpoints/last when `checkpoint` is set, `extend` trains 5 more iterations. */
function fakeTrainer(launched: string[][], checkpoint: boolean): TrainerLauncher {
  return (args) => {
    launched.push(args);
    const body = `const args = ${JSON.stringify(args)}; const fs = require('fs'); const path = require('path');
      const emit = (e) => { const line = JSON.stringify({ time: new Date().toISOString(), ...e }); console.log(line); fs.appendFileSync(args[1] + '/metrics.jsonl', line + '\\n'); };
      const start = args[0] === 'extend' ? 10 : 0, total = args[0] === 'extend' ? 15 : 10;
      emit({ type: 'started', backend: 'fake', totalIterations: total, startIteration: start, config: 'fake' });
      if (args[0] === 'train' && ${checkpoint}) { fs.mkdirSync(path.join(args[1], 'checkpoints', 'last'), { recursive: true }); }
      emit({ type: 'done', iteration: total, bbox: [], segm: [], reason: 'finished' });`;
    return spawn(process.execPath, ['-e', body], { stdio: ['ignore', 'pipe', 'pipe'] });
  };
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function finishedRun(checkpoint: boolean) {
  const launched: string[][] = [];
  const wb = new Workbench({ userDataDir: tempDir(), resourcesDir, launchTrainer: fakeTrainer(launched, checkpoint) });
  const project = await wb.api.projects.create(join(tempDir(), 'p'), 'Extend');
  await wb.api.coco.import(join(FIXTURES, 'roboflow-mini'));
  const dispatch = createApiDispatcher(wb.api, { guard: null, label: 'test', log: () => {} });
  const call = async <T>(name: string, ...args: unknown[]): Promise<T> => {
    const reply = await dispatch(name, args);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { payload: reply.error });
    return reply.value as T;
  };
  const run = await call<RunSummary>('runs.start', { preset: 'tiny' });
  await until(async () => ((await call<RunSummary>('runs.get', run.id)).status === 'done' ? true : undefined));
  return { wb, project, dispatch, call, run, launched };
}

describe('runs.extend ("train 1 h more")', () => {
  test('continues a finished run from its checkpoint with the trainer’s extend command, in the same run', async () => {
    const { wb, call, run, launched } = await finishedRun(true);
    const extended = await call<RunSummary>('runs.extend', run.id, 60);
    assert.equal(extended.id, run.id, 'the same run goes on');
    assert.equal(extended.status, 'running');
    const runDir = (await call<{ runDir: string }>('runs.get', run.id)).runDir;
    assert.deepEqual(launched.at(-1), ['extend', runDir, '--minutes', '60', '--json']);
    const done = await until(async () => {
      const r = await call<RunSummary>('runs.get', run.id);
      return r.status === 'done' && r.iteration === 15 ? r : undefined;
    });
    assert.equal(done.totalIterations, 15, 'the new schedule tail is recorded');
    await wb.api.projects.close();
  });

  test('refuses a run with no checkpoint, and a bad length, with a clear user error and no trainer started', async () => {
    const { wb, dispatch, run, launched } = await finishedRun(false);
    const before = launched.length;
    const noCheckpoint = await dispatch('runs.extend', [run.id, 30]);
    assert.equal(noCheckpoint.ok, false);
    if (!noCheckpoint.ok) {
      assert.equal(noCheckpoint.error.kind, 'user');
      assert.match(noCheckpoint.error.message, new RegExp(`Run ${run.id} has no checkpoint to continue from`));
    }
    const bad = await dispatch('runs.extend', [run.id, 'an hour']);
    assert.ok(!bad.ok && bad.error.kind === 'user' && /minutes must be a number/.test(bad.error.message));
    const missing = await dispatch('runs.extend', ['no-such-run', 30]);
    assert.ok(!missing.ok && missing.error.kind === 'not_found');
    assert.equal(launched.length, before, 'no trainer started');
    const after = (await dispatch('runs.get', [run.id])) as { ok: true; value: RunSummary };
    assert.equal(after.value.status, 'done', 'the refused run keeps its state');
    await wb.api.projects.close();
  });
});
