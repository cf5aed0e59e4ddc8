// The schedule: evaluations spread over every run, and a time budget that sets the run's length from
// its measured speed (checked against a fake clock, so the plan is exact whatever the machine's load).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../trainer/backend/index.ts';
import { ConfigError, validateRunConfig } from '../../trainer/common/config.ts';
import { BudgetError, budgetPlan, epochPlan, evalIterations } from '../../trainer/schedule.ts';
import { train } from '../../trainer/train.ts';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { tempDir } from '../helpers/tmp.ts';

await initBackend('wasm');
const root = tempDir('fw-schedule-');

test('every run evaluates 8 times spread over its schedule, whatever its length; a set interval overrides', () => {
  assert.deepEqual(evalIterations(900, 0, 8), [100, 200, 300, 400, 500, 600, 700, 800]);
  for (const total of [9, 50, 123, 540_000]) {
    const its = evalIterations(total, 0, 8);
    assert.equal(its.length, 8, `${total} iterations`);
    assert.ok(its.every((it) => it >= 1 && it < total));
    const gaps = its.slice(1).map((it, i) => it - its[i]);
    assert.ok(Math.max(...gaps) - Math.min(...gaps) <= 1, `even spacing for ${total}: ${gaps}`);
  }
  assert.deepEqual(evalIterations(4, 0, 8), [1, 2, 3], 'a run shorter than 9 iterations evaluates after each one');
  assert.deepEqual(evalIterations(1000, 300, 8), [300, 600, 900], 'the user\'s interval');
  assert.deepEqual(evalIterations(1000, 0, 0), [], '0 = only at the end');
  for (const p of ['paper', 'cpu', 'tiny'] as const) {
    const c = validateRunConfig({ preset: p });
    assert.equal(c.solver.evalEveryIterations, 0, p);
    assert.equal(c.solver.evaluations, 8, p);
    assert.equal(c.solver.budgetMinutes, 0, p);
  }
  const plan = epochPlan(validateRunConfig({ preset: 'cpu' }).solver, 5400);
  assert.deepEqual(plan.lrDropIterations, [4800, 5200], 'drops at the paper\'s fractions from the end');
  for (const bad of [-1, 0.01, 'x', 1e9]) {
    assert.throws(() => validateRunConfig({ solver: { budgetMinutes: bad } }), (e: Error) => e instanceof ConfigError && /solver\.budgetMinutes/.test(e.message));
  }
  assert.throws(() => validateRunConfig({ solver: { evaluations: 2.5 } }), /solver\.evaluations/);
});

test('a budget sets the total so that training, evaluations and the final predictions fit', () => {
  const s = validateRunConfig({ preset: 'cpu' }).solver;
  const m = { budgetSeconds: 1800, elapsedSeconds: 20, doneIterations: 6, measuredOverIterations: 5, secondsPerIteration: 0.5, secondsPerEvaluation: 30, finalSeconds: 30 };
  const plan = budgetPlan(s, m);
  const used = (t: number) => m.elapsedSeconds + (t - m.doneIterations) * m.secondsPerIteration + (evalIterations(t, 0, 8, 6).length + 1) * m.secondsPerEvaluation + m.finalSeconds;
  assert.ok(used(plan.totalIterations) <= m.budgetSeconds, 'fits');
  assert.ok(used(plan.totalIterations + 1) > m.budgetSeconds, 'and is the longest that fits');
  assert.equal(plan.totalIterations, 6 + (1800 - 20 - 30 - 9 * 30) / 0.5);
  assert.equal(plan.evalIterations.length, 8);
  assert.deepEqual(plan.lrDropIterations, s.lrDropsFromEnd.map((f) => Math.round(plan.totalIterations * (1 - f))));
  // A user interval: the evaluation count grows with the length, and the plan still fits.
  assert.ok(plan.evalIterations[0] > 6, 'evaluations fall after the measured iterations');
  const every = budgetPlan({ ...s, evalEveryIterations: 100 }, m);
  assert.ok(used(every.totalIterations) - 9 * 30 + (every.evalIterations.length + 1) * 30 <= 1800);
  assert.throws(() => budgetPlan(s, { ...m, budgetSeconds: 60 }), (e: Error) => e instanceof BudgetError && /shorter than .* one evaluation .*solver\.budgetMinutes ≥ \d/.test(e.message));
});

test('a budget run measures its speed, plans its length, evaluates on the plan and records how it kept to it (fake clock)', async () => {
  const dir = join(root, 'budget');
  await writeSyntheticRun(dir, {
    seed: 41, train: 6, val: 2, width: 64, height: 64, minSize: 12, maxSize: 26,
    config: { preset: 'tiny', backend: 'wasm', solver: { budgetMinutes: 0.5, epochs: 100, warmupIterations: 2, trainEvalImages: 2 } },
  });
  let t = 0;
  const clock = () => { const v = t; t += 0.5; return v; }; // every reading advances half a second
  const events: TrainerEvent[] = [];
  const end = await train(dir, { clock, onEvent: (e) => events.push(e) });
  assert.equal(end.type, 'done', end.type === 'failed' ? end.reason : '');
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  assert.equal(plan.basis, 'budget');
  assert.equal(plan.budgetSeconds, 30);
  const first = plan.replanned.first;
  assert.equal(first.measuredOverIterations, 5);
  assert.equal(first.secondsPerIteration, 0.5, 'five steps, one reading each');
  const c = validateRunConfig({ preset: 'tiny', solver: { budgetMinutes: 0.5, warmupIterations: 2, trainEvalImages: 2 } });
  const again = budgetPlan(c.solver, { budgetSeconds: 30, elapsedSeconds: first.elapsedAtPlanSeconds, doneIterations: 6, measuredOverIterations: 5, secondsPerIteration: 0.5, secondsPerEvaluation: first.secondsPerEvaluation, finalSeconds: first.secondsPerEvaluation });
  assert.equal(first.totalIterations, again.totalIterations, 'the first length follows from the measurement');
  // The first evaluation cost one clock reading (0.5 s), less than the probe priced: the rest of the run is re-planned longer.
  assert.equal(plan.replanned.atIteration, first.evalIterations[0]);
  assert.equal(plan.secondsPerEvaluation, 0.5);
  assert.ok(plan.totalIterations > first.totalIterations, `re-planned ${first.totalIterations} → ${plan.totalIterations}`);
  assert.equal(plan.evalIterations[0], first.evalIterations[0]);
  assert.ok(plan.totalIterations > 6 && plan.totalIterations < 100, `${plan.totalIterations} iterations`);
  assert.equal(end.type === 'done' && end.iteration, plan.totalIterations, 'the run ends at its planned length, not its epochs');
  const valEvals = events.filter((e): e is Extract<TrainerEvent, { type: 'evaluation' }> => e.type === 'evaluation' && e.split === 'val');
  assert.deepEqual(valEvals.map((e) => e.iteration), [...plan.evalIterations, plan.totalIterations], 'evaluated on the plan and at the end');
  assert.equal(plan.evalIterations.length, 8);
  const lrAt = new Map(events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress').map((e) => [e.iteration, e.lr]));
  const last = events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress').at(-1)!;
  assert.equal(last.totalIterations, plan.totalIterations, 'progress reports the planned total');
  assert.ok((lrAt.get(plan.totalIterations) ?? 1) < (c.solver.baseLr * c.solver.imsPerBatch) / 16 / 50, 'both drops applied by the end');
  assert.ok(plan.kept && plan.kept.iterations === plan.totalIterations && plan.kept.ratioToBudget > 0, 'kept-to-plan recorded');
});

test('a budget too short for one evaluation fails with the value to raise', async () => {
  const dir = join(root, 'short');
  await writeSyntheticRun(dir, { seed: 42, train: 4, val: 2, width: 64, height: 64, minSize: 12, maxSize: 26, config: { preset: 'tiny', backend: 'wasm', solver: { budgetMinutes: 0.05 } } });
  let t = 0;
  const end = await train(dir, { clock: () => (t += 1) });
  assert.equal(end.type, 'failed');
  assert.match(end.type === 'failed' ? end.reason : '', /budget of 3 s is shorter than .*solver\.budgetMinutes ≥/);
});

test('a finished budget run is extended from its last checkpoint with a new schedule tail', async () => {
  const dir = join(root, 'extend');
  await writeSyntheticRun(dir, {
    seed: 43, train: 6, val: 2, width: 64, height: 64, minSize: 12, maxSize: 26,
    config: { preset: 'tiny', backend: 'wasm', solver: { budgetMinutes: 0.4, warmupIterations: 2, trainEvalImages: 0 } },
  });
  let t = 0;
  const clock = () => { const v = t; t += 0.5; return v; };
  const first = await train(dir, { clock });
  assert.equal(first.type, 'done', first.type === 'failed' ? first.reason : '');
  const plan1 = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  const events: TrainerEvent[] = [];
  t = 0;
  const more = await train(dir, { clock, extendMinutes: 0.4, onEvent: (e) => events.push(e) });
  assert.equal(more.type, 'done', more.type === 'failed' ? more.reason : '');
  const plan2 = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  assert.equal(plan2.previous.length, 1);
  assert.equal(plan2.previous[0].totalIterations, plan1.totalIterations, 'the first plan is kept');
  assert.ok(plan2.totalIterations > plan1.totalIterations + 6, `extended ${plan1.totalIterations} → ${plan2.totalIterations}`);
  assert.equal(more.type === 'done' && more.iteration, plan2.totalIterations);
  assert.ok(plan2.evalIterations.every((it: number) => it > plan1.totalIterations + 6), 'evaluations spread over the tail');
  assert.ok(plan2.lrDropIterations.every((it: number) => it > plan1.totalIterations), 'new drops near the new end');
  const progress = events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress');
  const base = (validateRunConfig({ preset: 'tiny' }).solver.baseLr * 2) / 16;
  assert.ok(Math.abs(progress[0].lr - base) < 1e-12, `the tail restarts at the base LR (${progress[0].lr})`);
  assert.ok(progress.at(-1)!.lr < base / 50, 'and drops by its end');
  const started = events.find((e) => e.type === 'started');
  assert.equal(started?.type === 'started' && started.startIteration, plan1.totalIterations);
});
