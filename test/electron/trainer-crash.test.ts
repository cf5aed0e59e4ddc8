// The real trainer killed mid-run (as by the OOM killer or a crash): the app reports it with a reason and
// the run resumes from its last checkpoint.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { importCoco } from '../../electron/services/coco_import.ts';
import { Project } from '../../electron/services/project.ts';
import { nodeTrainerLauncher, readRunEvents, RunSupervisor, type TrainerLauncher } from '../../electron/services/runs.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

describe('trainer killed mid-run (real trainer, tiny preset)', () => {
  test('the run is reported failed with the cause, and resume continues from the last checkpoint', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    await importCoco(project, join(FIXTURES, 'roboflow-mini'));
    let child: ChildProcess | undefined;
    const launcher: TrainerLauncher = (args) => (child = nodeTrainerLauncher(args));
    let killedAt = -1;
    const runs = new RunSupervisor(project, launcher, (_id, event) => {
      if (event.type === 'checkpoint' && event.iteration >= 4 && killedAt < 0) {
        killedAt = event.iteration;
        child!.kill('SIGKILL');
      }
    });
    const started = runs.start({ preset: 'tiny', iterations: 60, overrides: { solver: { checkpointEveryIterations: 2, evalEveryIterations: 0, evaluations: 0 } } });
    const failed = await runs.whenFinished(started.id);
    assert.ok(killedAt >= 4, 'killed after a checkpoint');
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!, /stopped unexpectedly \(signal SIGKILL\)/);

    runs.resume(started.id);
    const done = await runs.whenFinished(started.id);
    assert.equal(done.status, 'done', done.error ?? '');
    assert.equal(done.iteration, 60);
    const starts = readRunEvents(runs.runDir(started.id)).filter((e) => e.type === 'started');
    assert.equal(starts.length, 2);
    assert.ok(starts[1].type === 'started' && starts[1].startIteration >= killedAt, `resumed from ${starts[1].type === 'started' ? starts[1].startIteration : '?'}`);
    project.close();
  });
});
