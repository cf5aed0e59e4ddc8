// The run supervisor with stand-in trainer processes (real ones are exercised in the trainer's and the
// loop's tests): snapshot freezing, event recording, cancel, crash reporting, interrupted runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { importCoco } from '../../electron/services/coco_import.ts';
import { applyOps } from '../../electron/services/annotations.ts';
import { importImages, listImages, setImageStatus } from '../../electron/services/images.ts';
import { Project } from '../../electron/services/project.ts';
import { buildSnapshot, nodeTrainerLauncher, RunSupervisor, snapshotHash, type TrainerLauncher } from '../../electron/services/runs.ts';
import { FIXTURES, tempDir, writeImage } from '../helpers/tmp.ts';

/** A stand-in trainer: a Node process running `body` with the CLI args in `args`; like the real one, it
 * writes each event to stdout and to the run folder's metrics.jsonl. With `report`, `body` may also
 * call `report()`, which writes report.json and sends its final verdict event as the real trainer
 * does (with the trainer's own report module) before its done event. */
function fakeTrainer(body: string, o: { report?: boolean } = {}): TrainerLauncher {
  return (args) => {
    const prelude = `const args = ${JSON.stringify(args)}; const fs = require('fs');
      const emit = (e) => { const line = JSON.stringify({ time: new Date().toISOString(), ...e }); console.log(line); fs.appendFileSync(args[1] + '/metrics.jsonl', line + '\\n'); };`;
    if (!o.report) return spawn(process.execPath, ['-e', prelude + body], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reportModule = new URL('../../trainer/advice/report.ts', import.meta.url).href;
    const withReport = `${prelude} import(${JSON.stringify(reportModule)}).then(({ writeRunReport, verdictEvent }) => {
      const report = (pending) => emit(verdictEvent(writeRunReport(args[1], { pending: [pending] }), pending.iteration, true));
      ${body} });`;
    return spawn(process.execPath, ['--import', 'tsx', '-e', withReport], { stdio: ['ignore', 'pipe', 'pipe'] });
  };
}

async function labelledProject() {
  const project = Project.create(join(tempDir(), 'p'));
  await importCoco(project, join(FIXTURES, 'roboflow-mini'));
  return project;
}

function waitFor<T>(check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const v = check();
      if (v !== undefined) return resolve(v);
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('snapshot', () => {
  test('holds labelled and done images with absolute paths, splits and project ids; unlabelled images stay out', async () => {
    const project = await labelledProject();
    const src = tempDir();
    await writeImage(join(src, 'negative.png'), 64, 64, 9);
    await writeImage(join(src, 'unlabelled.png'), 64, 64, 10);
    const { imported } = await importImages(project, [src]);
    setImageStatus(project, imported.find((i) => i.fileName === 'negative.png')!.id, 'done');
    const snap = buildSnapshot(project);
    assert.equal(snap.images.length, 9, '8 labelled + 1 done negative; the unlabelled copy and image stay out');
    assert.ok(snap.images.every((i) => i.file_name.startsWith(project.dir) && existsSync(i.file_name)));
    assert.ok(snap.images.some((i) => String(i.file_name).endsWith('.png')), 'the negative is in');
    assert.deepEqual([...new Set(snap.images.map((i) => i.split))].sort(), ['test', 'train', 'val']);
    assert.equal(snap.annotations.length, 42);
    assert.ok(snap.annotations.every((a) => snap.images.some((i) => i.id === a.image_id)));
    const ids = new Set(listImages(project).map((i) => i.id));
    assert.ok(snap.images.every((i) => ids.has(i.project_image_id as number)));

    // The hash changes when a label changes, and only then.
    const before = snapshotHash(snap);
    assert.equal(snapshotHash(buildSnapshot(project)), before);
    const img = listImages(project).find((i) => i.annotationCount > 0)!;
    applyOps(project, img.id, [{ op: 'create', draft: { classId: 1, geometry: { kind: 'box', bbox: [1, 1, 20, 20] } } }]);
    assert.notEqual(snapshotHash(buildSnapshot(project)), before);
    project.close();
  });
});

describe('run supervisor', () => {
  test('freezes the run folder, records the trainer events, and finishes', async () => {
    const project = await labelledProject();
    const seen: string[] = [];
    const supervisor = new RunSupervisor(
      project,
      fakeTrainer(`
        emit({ type: 'started', backend: 'cpu', configSummary: 'x', totalIterations: 10, trainImages: 4, valImages: 2, startIteration: 0 });
        for (let i = 1; i <= 10; i++) emit({ type: 'progress', iteration: i, totalIterations: 10, epoch: i / 2, imagesPerSecond: 5, etaSeconds: 10 - i, lr: 0.01, losses: { total: 1 / i } });
        emit({ type: 'evaluation', split: 'val', iteration: 10, bbox: [0.31, 0.6], segm: [0.22, 0.5] });
        const done = { type: 'done', iteration: 10, bbox: [0.31], segm: [0.22], reason: 'completed' };
        report(done);
        emit(done);
      `, { report: true }),
      (_id, event) => seen.push(event.type),
    );
    const run = supervisor.start({ preset: 'tiny', iterations: 10 });
    assert.equal(run.status, 'running');
    const dir = supervisor.runDir(run.id);
    const snap = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as CocoDataset;
    assert.equal(snap.images.filter((i) => i.split === 'train').length, run.trainImages);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(config.preset, 'tiny');
    assert.equal(config.solver.epochs, (10 * config.solver.imsPerBatch) / run.trainImages, '--iterations becomes epochs over the train split');
    const done = await waitFor(() => (supervisor.get(run.id).status === 'done' ? supervisor.get(run.id) : undefined));
    assert.equal(done.backend, 'cpu');
    assert.equal(done.iteration, 10);
    assert.equal(done.bestBoxAp, 0.31);
    assert.equal(done.bestMaskAp, 0.22);
    assert.ok(seen.includes('started') && seen.includes('evaluation') && seen.at(-1) === 'done');
    // The trainer writes the full report from the run folder; the supervisor records its verdict.
    assert.equal(seen.filter((t) => t === 'done').length, 1, 'one terminal event per run');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.equal(report.best.boxAP, 0.31);
    assert.equal(done.verdict, report.verdict.verdict);
    assert.ok(['enough', 'borderline', 'too_small'].includes(done.verdict!));
    project.close();
  });

  test('a trainer crash is reported with the reason from its output, and the run can be resumed', async () => {
    const project = await labelledProject();
    let launches = 0;
    const launcher: TrainerLauncher = (args) => {
      launches++;
      return args[0] === 'resume'
        ? fakeTrainer(`emit({ type: 'started', backend: 'cpu', configSummary: 'x', totalIterations: 10, trainImages: 4, valImages: 2, startIteration: 5 }); emit({ type: 'done', iteration: 10, bbox: [], segm: [], reason: 'completed' });`)(args)
        : fakeTrainer(`emit({ type: 'progress', iteration: 5, totalIterations: 10, epoch: 1, imagesPerSecond: 5, etaSeconds: 5, lr: 0.01, losses: {} }); console.error('RangeError: out of memory in conv2d'); process.exit(134);`)(args);
    };
    const terminals: TrainerEvent[] = [];
    const supervisor = new RunSupervisor(project, launcher, (_id, event) => (event.type === 'done' || event.type === 'failed') && terminals.push(event));
    const run = supervisor.start({ preset: 'tiny', epochs: 1 });
    const failed = await waitFor(() => (supervisor.get(run.id).status === 'failed' ? supervisor.get(run.id) : undefined));
    // The trainer died without its own failed event: the supervisor sends one in its place, and
    // writes nothing into the run folder (no report.json of its own).
    assert.deepEqual(terminals.map((e) => e.type), ['failed']);
    assert.equal(existsSync(join(supervisor.runDir(run.id), 'report.json')), false);
    assert.match(failed.error!, /stopped unexpectedly \(exit code 134\)/);
    assert.match(failed.error!, /out of memory in conv2d/);
    assert.equal(failed.iteration, 5);
    assert.equal(failed.verdict, null, 'a failed run gets no verdict (not borderline)');
    supervisor.resume(run.id);
    const done = await waitFor(() => (supervisor.get(run.id).status === 'done' ? supervisor.get(run.id) : undefined));
    assert.equal(done.iteration, 10);
    assert.equal(launches, 2);
    assert.throws(() => supervisor.resume(run.id), /has finished/);
    project.close();
  });

  test('cancel stops the trainer; a run left running by a closed app comes back interrupted', async () => {
    const project = await labelledProject();
    const supervisor = new RunSupervisor(project, fakeTrainer(`emit({ type: 'progress', iteration: 1, totalIterations: 1000, epoch: 0, imagesPerSecond: 1, etaSeconds: 999, lr: 0.01, losses: {} }); setInterval(() => {}, 1000);`), () => {});
    const run = supervisor.start({ preset: 'tiny' });
    await waitFor(() => (supervisor.get(run.id).iteration === 1 ? true : undefined));
    supervisor.cancel(run.id);
    const cancelled = await waitFor(() => (supervisor.get(run.id).status === 'cancelled' ? supervisor.get(run.id) : undefined));
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(supervisor.isLive(run.id), false);

    project.db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(run.id);
    const reopened = new RunSupervisor(project, fakeTrainer(''), () => {});
    assert.equal(reopened.get(run.id).status, 'interrupted');
    assert.match(reopened.get(run.id).error!, /resume continues/);
    project.close();
  });

  test('refuses to train with no labelled train images and with a bad config value', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    const supervisor = new RunSupervisor(project, fakeTrainer(''), () => {});
    assert.throws(() => supervisor.start({ preset: 'tiny' }), /No labelled images in the train split/);
    const labelled = await labelledProject();
    const s2 = new RunSupervisor(labelled, fakeTrainer(''), () => {});
    assert.throws(() => s2.start({ preset: 'tiny', overrides: { solver: { momentum: 5 } } }), /Run config: .*momentum/);
    assert.throws(() => s2.start({ preset: 'nope' as 'tiny' }), /preset/);
    assert.equal(s2.list().length, 0, 'nothing recorded for a refused start');
    project.close();
    labelled.close();
  });
});

describe('learning-curve subsets', () => {
  test('a train fraction keeps a seeded, stratified share of the train split and all of val and test', async () => {
    const project = await labelledProject();
    const full = buildSnapshot(project);
    const half = buildSnapshot(project, 0.5, 3);
    const count = (s: CocoDataset, split: string) => s.images.filter((i) => i.split === split).length;
    assert.equal(count(full, 'train'), 4);
    assert.ok(count(half, 'train') >= 2 && count(half, 'train') < 4, `train ${count(half, 'train')}`);
    assert.equal(count(half, 'val'), count(full, 'val'));
    assert.equal(count(half, 'test'), count(full, 'test'));
    assert.deepEqual(buildSnapshot(project, 0.5, 3).images.map((i) => i.id), half.images.map((i) => i.id), 'same seed, same subset');
    const classes = (s: CocoDataset) => new Set(s.annotations.filter((a) => s.images.find((i) => i.id === a.image_id)?.split === 'train').map((a) => a.category_id));
    assert.deepEqual(classes(half), classes(full), 'every class keeps training images');
    assert.throws(() => buildSnapshot(project, 0), /trainFraction must be in/);
    project.close();
  });
});

describe('comparing runs', () => {
  test('per-class AP side by side and the data diff between the snapshots', async () => {
    const project = await labelledProject();
    const emitting = (ap: number) =>
      fakeTrainer(`emit({ type: 'evaluation', split: 'val', iteration: 4, bbox: [${ap}], segm: [${ap / 2}], perCategory: { '1': { name: 'gunny_bag', ap: ${ap}, ap50: 0.9, numGt: 3 }, '2': { name: 'wire', ap: -1, ap50: -1, numGt: 0 } } }); emit({ type: 'done', iteration: 4, bbox: [${ap}], segm: [], reason: 'completed' });`);
    const first = new RunSupervisor(project, emitting(0.2), () => {});
    const a = await first.whenFinished(first.start({ preset: 'tiny' }).id);
    // Between the runs: one more label on a train image, and an image moved to test.
    const images = listImages(project);
    const train = images.find((i) => i.split === 'train' && i.annotationCount > 0)!;
    applyOps(project, train.id, [{ op: 'create', draft: { classId: 1, geometry: { kind: 'box', bbox: [1, 1, 30, 30] } } }]);
    const moved = images.find((i) => i.split === 'val' && i.annotationCount > 0)!;
    project.db.prepare("UPDATE images SET split = 'test' WHERE id = ?").run(moved.id);
    const second = new RunSupervisor(project, emitting(0.35), () => {});
    const b = await second.whenFinished(second.start({ preset: 'tiny' }).id);
    const { compareRuns } = await import('../../electron/services/compare.ts');
    const cmp = compareRuns(second, a.id, b.id);
    assert.deepEqual(cmp.perClass.map((c) => [c.name, c.a.box, c.b.box]), [['gunny_bag', 0.2, 0.35], ['wire', null, null]]);
    assert.equal(cmp.diff.imagesAdded, 0);
    assert.equal(cmp.diff.imagesRemoved, 0);
    assert.equal(cmp.diff.imagesRelabelled, 1);
    assert.equal(cmp.diff.imagesMoved, 1);
    assert.equal(cmp.diff.annotationsAdded, 1);
    assert.deepEqual(cmp.diff.examples.map((e) => e.change).sort(), ['moved', 'relabelled']);
    assert.ok(cmp.diff.examples.some((e) => e.fileName === train.fileName), 'examples name the user\'s files, not stored hashes');
    project.close();
  });
});

describe('estimate (real trainer, tiny preset)', () => {
  test('times a short warm-up of the chosen config and leaves no folder behind', async () => {
    const project = await labelledProject();
    const runs = new RunSupervisor(project, nodeTrainerLauncher, () => {});
    const e = await runs.estimate({ preset: 'tiny', iterations: 30 });
    assert.ok(e.imagesPerSecond > 0 && Number.isFinite(e.imagesPerSecond));
    assert.equal(e.totalIterations, 30);
    assert.ok(Math.abs(e.estimatedSeconds - (e.secondsPerIteration * 30 + e.evaluationSeconds + ((e as { finalSeconds?: number }).finalSeconds ?? 0))) < 1e-6 * e.estimatedSeconds, JSON.stringify(e));
    assert.ok(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'].includes(e.backend));
    assert.deepEqual(readdirSync(join(project.dir, 'runs', '.estimates')), []);
    assert.equal(runs.list().length, 0, 'an estimate is not a run');
    project.close();
  });
});
