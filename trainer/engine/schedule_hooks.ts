// The run's schedule (how many iterations, where the LR drops, when to evaluate) and the hooks that
// set it for a time budget (../schedule.ts): measure the speed over the first steps and plan, then
// re-price after the first real evaluation, and record at the end how the run kept to its budget.
import { existsSync, readFileSync } from 'node:fs';
import type { RunConfig } from '../common/config.ts';
import { BUDGET_MEASURE_ITERATIONS, BudgetError, budgetPlan, epochPlan, type SchedulePlan } from '../schedule.ts';
import { measureEvaluationSeconds } from './evaluation.ts';
import { now, type RunRecord, type TrainContext } from './context.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import type { Hook, LoopState } from './loop.ts';

type StoredPlan = SchedulePlan & { previous?: SchedulePlan[] };

/** The schedule a run follows. A budget run has no plan until it has measured its speed. */
export class RunSchedule {
  total: number;
  plan: SchedulePlan | null;
  evalAt: Set<number>;
  /** Clock reading at the end of the last step (budget runs read the clock once per step). */
  stepEndedAt = 0;
  /** When the budget plan was made (clock reading and iteration), for the re-plan's speed. */
  readonly plannedAt = { t: 0, it: 0 };
  readonly clockStart: number;

  constructor(
    readonly solver: RunConfig['solver'],
    readonly planPath: string,
    /** A run that sets its length from the time budget: a fresh budget run, or an extension. */
    readonly budgetRun: boolean,
    readonly stopAfterIteration: number | undefined,
    total: number,
    plan: SchedulePlan | null,
    clock: () => number,
  ) {
    this.total = total;
    this.plan = plan;
    this.evalAt = new Set(plan?.evalIterations ?? []);
    this.clockStart = clock();
  }

  /**
   * The schedule of a fresh, resumed or extended run: an epoch run's plan at once (written for a
   * fresh run), a resumed run's from its plan.json, none yet for a budget run or an extension.
   */
  static open(o: { solver: RunConfig['solver']; planPath: string; total: number; resuming: boolean; extending: boolean; stopAfterIteration?: number; clock: () => number }): RunSchedule {
    const budgetRun = (o.solver.budgetMinutes > 0 && !o.resuming) || o.extending;
    let plan: SchedulePlan | null = o.extending ? null : o.resuming && existsSync(o.planPath) ? readPlan(o.planPath) : budgetRun ? null : epochPlan(o.solver, o.total);
    if (plan && plan.totalIterations !== o.total) plan = epochPlan(o.solver, o.total);
    if (plan && !o.resuming) writeJsonAtomic(o.planPath, plan, 2);
    return new RunSchedule(o.solver, o.planPath, budgetRun, o.stopAfterIteration, o.total, plan, o.clock);
  }

  /** Where the loop stops before the plan exists: a budget run goes at least through its measured steps. */
  initialStopAt(iteration: number): number {
    const end = this.budgetRun ? Math.max(this.total, iteration + 2 + BUDGET_MEASURE_ITERATIONS) : this.total;
    return Math.min(end, this.stopAfterIteration ?? Infinity);
  }

  /** The length the LR schedule sees: none (no drop) before a budget run knows its length. */
  get lrTotal(): number {
    return this.plan ? this.total : Infinity;
  }

  adopt(plan: SchedulePlan, loop: LoopState): void {
    this.plan = plan;
    this.total = plan.totalIterations;
    this.evalAt = new Set(plan.evalIterations);
    loop.stopAt = Math.min(this.total, this.stopAfterIteration ?? Infinity);
    writeJsonAtomic(this.planPath, plan, 2);
  }
}

export function readPlan(path: string): StoredPlan {
  return JSON.parse(readFileSync(path, 'utf8')) as StoredPlan;
}

/**
 * Budget runs: the first step sets up kernels and decodes; the next BUDGET_MEASURE_ITERATIONS are
 * timed, one evaluation round is priced, and the plan is made. Reads the clock once per step.
 */
export function budgetPlanner(ctx: TrainContext, s: RunSchedule, budgetMinutes: number, earlierPlan: StoredPlan | null, extending: boolean): Hook {
  let startIt = 0, measureFrom = 0;
  return {
    beforeTrain(loop) {
      startIt = loop.iteration;
    },
    async afterStep(loop) {
      if (!s.budgetRun) return;
      const tc = (s.stepEndedAt = ctx.clock());
      if (s.plan) return;
      if (loop.iteration === startIt + 1) measureFrom = tc;
      else if (loop.iteration === startIt + 1 + BUDGET_MEASURE_ITERATIONS) {
        const { config: c, clock } = ctx;
        const secondsPerIteration = (tc - measureFrom) / BUDGET_MEASURE_ITERATIONS;
        const secondsPerEvaluation = await measureEvaluationSeconds(ctx.model, c, ctx.snap, ctx.train, ctx.val, ctx.trainSample, ctx.cache, ctx.pool, clock);
        const plan = budgetPlan(c.solver, {
          budgetSeconds: budgetMinutes * 60, elapsedSeconds: clock() - s.clockStart, doneIterations: loop.iteration,
          measuredOverIterations: BUDGET_MEASURE_ITERATIONS, secondsPerIteration, secondsPerEvaluation,
          finalSeconds: ctx.val.length ? secondsPerEvaluation : 0,
        });
        if (extending && earlierPlan) Object.assign(plan, { previous: [...(earlierPlan.previous ?? []), { ...earlierPlan, previous: undefined }] });
        s.adopt(plan, loop);
        s.plannedAt.t = clock();
        s.plannedAt.it = loop.iteration;
        ctx.log(`budget ${budgetMinutes} min: ${secondsPerIteration.toFixed(3)} s/iteration, ${secondsPerEvaluation.toFixed(1)} s/evaluation → ${s.total} iterations, LR drops at ${plan.lrDropIterations.join(', ')}, evaluations at ${plan.evalIterations.join(', ')}`);
      }
    },
  };
}

/**
 * The plan priced evaluations at the untrained model's speed; the first real one re-prices them (and
 * the steps since the plan) and sets the rest of the schedule to end on time. Runs right after the
 * evaluation hook; a plan that cannot fit is kept (and logged).
 */
export function budgetReplanner(ctx: TrainContext, s: RunSchedule, record: RunRecord, budgetMinutes: number): Hook {
  let replanned = false;
  return {
    afterStep(loop) {
      const plan = s.plan;
      if (!s.budgetRun || !plan || replanned || record.lastRoundAt !== loop.iteration) return;
      replanned = true;
      const te0 = s.stepEndedAt, te1 = ctx.clock();
      const steps = loop.iteration - s.plannedAt.it;
      const secondsPerIteration = steps >= BUDGET_MEASURE_ITERATIONS ? (te0 - s.plannedAt.t) / steps : plan.secondsPerIteration!;
      const doneEvals = plan.evalIterations.filter((it) => it <= loop.iteration);
      const c = ctx.config;
      try {
        const tail = budgetPlan({ ...c.solver, evaluations: Math.max(0, c.solver.evaluations - doneEvals.length) }, {
          budgetSeconds: budgetMinutes * 60, elapsedSeconds: te1 - s.clockStart, doneIterations: loop.iteration, measuredOverIterations: steps,
          secondsPerIteration, secondsPerEvaluation: te1 - te0, finalSeconds: ctx.val.length ? te1 - te0 : 0,
        });
        const first = { totalIterations: plan.totalIterations, secondsPerIteration: plan.secondsPerIteration, secondsPerEvaluation: plan.secondsPerEvaluation, elapsedAtPlanSeconds: plan.elapsedAtPlanSeconds, measuredOverIterations: plan.measuredOverIterations, evalIterations: plan.evalIterations };
        s.adopt({ ...plan, ...tail, evalIterations: [...doneEvals, ...tail.evalIterations], replanned: { atIteration: loop.iteration, first } } as SchedulePlan, loop);
        ctx.log(`re-planned after the first evaluation (${(te1 - te0).toFixed(1)} s, ${secondsPerIteration.toFixed(3)} s/iteration): ${s.total} iterations, evaluations at ${s.plan!.evalIterations.join(', ')}`);
      } catch (e) {
        if (!(e instanceof BudgetError)) throw e;
        ctx.log(`kept the plan after the first evaluation: ${e.message}`);
      }
    },
  };
}

/** At the end: how long the run took against its plan (and budget), into plan.json. */
export function scheduleKeeper(ctx: TrainContext, s: RunSchedule): Hook {
  return {
    afterTrain(loop) {
      const plan = s.plan;
      if (!plan) return;
      const wallSeconds = ctx.clock() - s.clockStart;
      plan.kept = { wallSeconds, iterations: loop.iteration, finishedAt: now(), ...(plan.budgetSeconds ? { ratioToBudget: wallSeconds / plan.budgetSeconds } : {}) };
      writeJsonAtomic(s.planPath, plan, 2);
      if (plan.budgetSeconds) ctx.log(`budget kept: ${wallSeconds.toFixed(0)} s of ${plan.budgetSeconds.toFixed(0)} s (${(100 * plan.kept.ratioToBudget!).toFixed(0)} %)`);
    },
  };
}
