// Runs this machine cannot carry out are refused before any compute and leave nothing in the run list:
// a config whose step would not fit in one WASM heap, and a time budget shorter than the run's start
// and one evaluation as this project's earlier budget runs priced them (electron/services/run_limits.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, validateRunConfig } from '../../trainer/common/config.ts';
import { importCoco } from '../../electron/services/coco_import.ts';
import { Project } from '../../electron/services/project.ts';
import { buildSnapshot, RunSupervisor } from '../../electron/services/runs.ts';
import { runMachine } from '../../electron/services/run_history.ts';
import { checkRunLimits } from '../../electron/services/run_limits.ts';
import { priceMinimumBudget } from '../../trainer/data/budget_price.ts';
import { toErrorPayload } from '../../electron/services/errors.ts';
import { runCli, runCount } from '../helpers/cli.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

const run = runCli;

/**
 * An earlier budget run of the tiny preset on WASM as the trainer records one: its row, plan.json
 * (measured 2 s/iteration, 30 s per evaluation round of 2 val + 4 train-sample images, 50 s to the
 * plan) and config.resolved.json.
 */
function recordPriorBudgetRun(projectDir: string, id = '2026-01-01T00-00-00-000-prior'): void {
  const p = Project.open(projectDir);
  try {
    p.db.prepare('INSERT INTO runs (id, created_at, preset, status, backend, train_images, val_images, annotations, snapshot_hash, train_fraction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, '2026-01-01T00:00:00.000Z', 'tiny', 'done', 'wasm', 4, 2, 10, 'x', 1);
  } finally {
    p.close();
  }
  const dir = join(projectDir, 'runs', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.resolved.json'), JSON.stringify(validateRunConfig({ preset: 'tiny', backend: 'wasm', workers: 2, solver: { budgetMinutes: 10 } })));
  writeFileSync(join(dir, 'plan.json'), JSON.stringify({ basis: 'budget', totalIterations: 200, warmupIterations: 10, lrDropIterations: [178, 193], evalIterations: [], budgetSeconds: 600, measuredOverIterations: 5, secondsPerIteration: 2, secondsPerEvaluation: 30, elapsedAtPlanSeconds: 50 }));
}

describe('refused before compute: the WASM heap', () => {
  test('fieldwork train: the paper preset at 800 px on WASM is refused naming the scale and what fits; no run exists', async () => {
    const project = join(tempDir(), 'proj');
    await run('create', project);
    await run('import-coco', project, join(FIXTURES, 'roboflow-mini'));
    const r = await run('train', project, '--preset', 'paper', '--set', 'backend="wasm"', '--iterations', '2');
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /input\.trainShortSides 800 needs about \d+\.\d GiB of memory in one WASM heap \(\d images? per heap; the limit is 4\.0 GiB\)/);
    assert.match(r.err, /: \d+ fits|no lower value of input\.trainShortSides/);
    assert.deepEqual(runCount(project), { rows: 0, folders: 0 });
    // `auto` here gets WASM too, unless this machine has native TensorFlow or a GPU run in the project.
    const p = Project.open(project);
    const machine = runMachine(p);
    p.close();
    if (!machine.gpuOrNative) {
      const auto = await run('train', project, '--preset', 'paper', '--iterations', '2');
      assert.equal(auto.code, 1);
      assert.match(auto.err, /input\.trainShortSides 800 needs about/);
      assert.deepEqual(runCount(project), { rows: 0, folders: 0 });
    }
  });

  test('the service refuses it as a config error naming the key and value; webgpu is left to the trainer', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    try {
      await importCoco(project, join(FIXTURES, 'roboflow-mini'));
      const runs = new RunSupervisor(project, () => { throw new Error('the trainer must not start'); }, () => {});
      let caught: unknown;
      try { runs.start({ preset: 'paper', overrides: { backend: 'cpu' }, iterations: 2 }); } catch (e) { caught = e; }
      assert.ok(caught instanceof ConfigError, String(caught));
      const payload = toErrorPayload(caught);
      assert.equal(payload.kind, 'config');
      assert.deepEqual(payload.details, { key: 'input.trainShortSides', rule: 'must fit in one WASM heap', value: 800 });
      assert.equal(runs.list().length, 0);
      const snapshot = buildSnapshot(project, 1);
      const machine = { cores: 2, gpuOrNative: false, priors: [] };
      assert.doesNotThrow(() => checkRunLimits(snapshot, validateRunConfig({ preset: 'paper', backend: 'webgpu' }), machine), 'an explicit GPU request is not refused here');
      assert.doesNotThrow(() => checkRunLimits(snapshot, validateRunConfig({ preset: 'paper' }), { ...machine, gpuOrNative: true }), 'auto where a GPU ran before');
      assert.throws(() => checkRunLimits(snapshot, validateRunConfig({ preset: 'paper' }), machine), /input\.trainShortSides 800/);
      assert.doesNotThrow(() => checkRunLimits(snapshot, validateRunConfig({ preset: 'paper', input: { trainShortSides: [256] } }), machine), '256 px fits');
    } finally {
      project.close();
    }
  });
});

describe('refused before compute: a budget shorter than one evaluation', () => {
  test('fieldwork train --minutes: priced from the earlier budget run, refused with the minimum; the run list keeps only that run', async () => {
    const project = join(tempDir(), 'proj');
    await run('create', project);
    await run('import-coco', project, join(FIXTURES, 'roboflow-mini'));
    recordPriorBudgetRun(project);
    const r = await run('train', project, '--preset', 'tiny', '--set', 'backend="wasm"', '--set', 'workers=2', '--minutes', '0.5');
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /A time budget of 30 s is shorter than this run's start, its 6 measured steps, one evaluation and its final predictions: about \d+(\.\d)? (s|min) on this machine/);
    assert.match(r.err, /priced from what run 2026-01-01T00-00-00-000-prior measured on wasm\)\. Give at least \d+(\.\d)? minutes \(solver\.budgetMinutes ≥ /);
    assert.deepEqual(runCount(project), { rows: 1, folders: 1 }, 'nothing new in the run list');
  });

  test('the price scales the earlier run to this one, and a budget above it passes', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    try {
      await importCoco(project, join(FIXTURES, 'roboflow-mini'));
      recordPriorBudgetRun(project.dir);
      const machine = runMachine(project);
      assert.equal(machine.priors.length, 1);
      const snapshot = buildSnapshot(project, 1);
      const counts = { train: snapshot.images.filter((i) => i.split === 'train').length, val: snapshot.images.filter((i) => i.split === 'val').length };
      const c = validateRunConfig({ preset: 'tiny', backend: 'wasm', workers: 2, solver: { budgetMinutes: 0.5 } });
      const price = priceMinimumBudget(c, counts, machine.priors)!;
      // Same model and scale: 2 s/iteration; the evaluation scaled by its images (val + train sample).
      assert.equal(price.secondsPerIteration, 2);
      const images = counts.val + Math.min(c.solver.trainEvalImages, counts.train);
      assert.ok(Math.abs(price.secondsPerEvaluation - 30 * images / 6) < 1e-9, `${price.secondsPerEvaluation}`);
      // start-up (50 − 6·2 = 38 s) + 7 steps + one evaluation + the final one (val exists).
      assert.ok(Math.abs(price.seconds - (38 + 7 * 2 + 2 * price.secondsPerEvaluation)) < 1e-9, `${price.seconds}`);
      const double = priceMinimumBudget(validateRunConfig({ ...c, solver: { ...c.solver, imsPerBatch: 4 } }), counts, machine.priors)!;
      assert.equal(double.secondsPerIteration, 4, 'twice the images per batch, twice the step');
      const larger = priceMinimumBudget(validateRunConfig({ ...c, input: { ...c.input, trainShortSides: [128], testShortSide: 128, maxSize: 214 } }), counts, machine.priors)!;
      assert.equal(larger.secondsPerIteration, 8, 'twice the side, four times the step');
      assert.equal(priceMinimumBudget(validateRunConfig({ preset: 'cpu', backend: 'wasm' }), counts, machine.priors), null, 'another model has no price');
      assert.equal(priceMinimumBudget(validateRunConfig({ ...c, backend: 'webgpu' }), counts, machine.priors), null, 'nor another backend');
      assert.throws(() => checkRunLimits(snapshot, c, machine), (e: Error) => e instanceof ConfigError && e.details.key === 'solver.budgetMinutes' && e.details.value === 0.5);
      const enough = Math.ceil(price.seconds / 60) + 1;
      assert.doesNotThrow(() => checkRunLimits(snapshot, validateRunConfig({ ...c, solver: { ...c.solver, budgetMinutes: enough } }), machine));
      assert.doesNotThrow(() => checkRunLimits(snapshot, validateRunConfig({ ...c, solver: { ...c.solver, budgetMinutes: 0 } }), machine), 'an epoch run has no budget to price');
      assert.doesNotThrow(() => checkRunLimits(snapshot, c, { ...machine, priors: [] }), 'no earlier run: the trainer decides after its measured steps');

      const runs = new RunSupervisor(project, () => { throw new Error('the trainer must not start'); }, () => {});
      assert.throws(() => runs.start({ preset: 'tiny', overrides: { backend: 'wasm', workers: 2, solver: { budgetMinutes: 0.5 } } }), /A time budget of 30 s is shorter/);
      assert.equal(runs.list().length, 1, 'only the earlier run');
    } finally {
      project.close();
    }
  });

  test('a time estimate prices the first budget run of a project (its measured steps and evaluations, no start-up)', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    try {
      await importCoco(project, join(FIXTURES, 'roboflow-mini'));
      const launched: string[] = [];
      // A stand-in trainer: `estimate` prints what the real one measures (3 s/step, a 10 s evaluation round); `train` exits at once.
      const result = { backend: 'wasm', imagesPerSecond: 0.67, secondsPerIteration: 3, totalIterations: 10, estimatedSeconds: 130, evaluationSeconds: 90, finalSeconds: 10, timedIterations: 3 };
      const runs = new RunSupervisor(project, (args) => {
        launched.push(args[0]);
        return spawn(process.execPath, ['-e', args[0] === 'estimate' ? `console.log(${JSON.stringify(JSON.stringify(result))})` : ''], { stdio: ['ignore', 'pipe', 'pipe'] });
      }, () => {});
      const options = { preset: 'tiny' as const, overrides: { backend: 'wasm', solver: { budgetMinutes: 0.5 } } };
      assert.equal(runMachine(project).priors.length, 0, 'no history yet');
      assert.deepEqual(await runs.estimate(options), result);
      const priors = runMachine(project).priors;
      assert.equal(priors.length, 1);
      assert.match(priors[0].source, /^the time estimate of \d{4}-/);
      // 7 steps × 3 s + one evaluation (10 s) + the final one (10 s) = 41 s > 30 s.
      assert.throws(() => runs.start(options), /A time budget of 30 s is shorter .*: about 41 s on this machine .*priced from what the time estimate of .* measured on wasm\)\. Give at least 0\.7 minutes/);
      assert.equal(runs.list().length, 0);
      const started = runs.start({ ...options, overrides: { ...options.overrides, solver: { budgetMinutes: 1 } } });
      await runs.whenFinished(started.id);
      assert.deepEqual(launched, ['estimate', 'train'], 'a budget above the price starts');
    } finally {
      project.close();
    }
  });
  test('with no history, a short budget is timed first (probeBudget) and then refused; a long one or an epoch run is not timed', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    try {
      await importCoco(project, join(FIXTURES, 'roboflow-mini'));
      const launched: string[][] = [];
      const result = { backend: 'wasm', imagesPerSecond: 0.67, secondsPerIteration: 3, totalIterations: 10, estimatedSeconds: 130, evaluationSeconds: 90, finalSeconds: 10, timedIterations: 3 };
      const runs = new RunSupervisor(project, (args) => {
        launched.push(args);
        return spawn(process.execPath, ['-e', args[0] === 'estimate' ? `console.log(${JSON.stringify(JSON.stringify(result))})` : ''], { stdio: ['ignore', 'pipe', 'pipe'] });
      }, () => {});
      const short = { preset: 'tiny' as const, overrides: { backend: 'wasm', solver: { budgetMinutes: 0.5 } } };
      assert.equal(await runs.probeBudget({ preset: 'tiny', overrides: { backend: 'wasm' } }), false, 'no budget, nothing to price');
      assert.equal(await runs.probeBudget({ ...short, overrides: { ...short.overrides, solver: { budgetMinutes: 120 } } }), false, 'a long budget starts without a probe');
      assert.equal(launched.length, 0);
      assert.equal(await runs.probeBudget(short), true);
      assert.deepEqual(launched.map((a) => a[0]), ['estimate']);
      assert.throws(() => runs.start(short), /A time budget of 30 s is shorter .*priced from what the time estimate of .* measured on wasm/);
      assert.equal(await runs.probeBudget(short), false, 'priced now: no second probe');
      assert.equal(runs.list().length, 0, 'nothing in the run list');
      assert.equal(await runs.probeBudget({ ...short, overrides: { ...short.overrides, solver: { budgetMinutes: 0.5, imsPerBatch: 0 } } }), false, 'a config start() refuses anyway is left to start()');
    } finally {
      project.close();
    }
  });

  test('fieldwork train --minutes with no earlier run: a real estimate prices it and the run is refused before it exists', async () => {
    const project = join(tempDir(), 'proj');
    await run('create', project);
    await run('import-coco', project, join(FIXTURES, 'roboflow-mini'));
    const r = await run('train', project, '--preset', 'cpu', '--set', 'backend="wasm"', '--minutes', '0.05');
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /timed a short estimate first/);
    assert.match(r.err, /A time budget of 3 s is shorter .*priced from what the time estimate of .* measured on wasm\)\. Give at least \d+(\.\d)? minutes/);
    assert.deepEqual(runCount(project), { rows: 0, folders: 0 }, 'nothing in the run list');
  });
});
