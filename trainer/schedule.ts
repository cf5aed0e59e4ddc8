// A run's schedule: where its evaluations fall, and — for a time budget — how many iterations fit.
// From scratch needs the longest schedule the user's time allows (He et al., "Rethinking ImageNet
// Pre-training"), so a budget run measures its own speed over its first iterations, then sets its
// length so that training, the evaluations and the final predictions end on time, with the LR
// drops at solver.lrDropsFromEnd of that length and the evaluations spread over it.
import type { SolverConfig } from './common/config.ts';

/** The plan a run follows, written to plan.json (and how well it kept to it, when it ends). */
export interface SchedulePlan {
  basis: 'epochs' | 'budget';
  totalIterations: number;
  warmupIterations: number;
  /** Iterations at which the LR is divided by 10. */
  lrDropIterations: number[];
  /** Iterations after which the run evaluates, besides the final evaluation at totalIterations. */
  evalIterations: number[];
  /** Budget runs: the budget, and the measured speeds the length was set from. */
  budgetSeconds?: number;
  measuredOverIterations?: number;
  secondsPerIteration?: number;
  secondsPerEvaluation?: number;
  /** Seconds already spent when the plan was made (start-up and the measured iterations). */
  elapsedAtPlanSeconds?: number;
  /** Budget runs re-plan once, after their first evaluation (real evaluation cost); the first plan is kept here. */
  replanned?: { atIteration: number; first: Partial<SchedulePlan> };
  /** Filled in at the end of the run. */
  kept?: { wallSeconds: number; iterations: number; ratioToBudget?: number; finishedAt: string };
}

export class BudgetError extends Error {
  override name = 'BudgetError';
}

/**
 * Iterations after which a run of `total` iterations evaluates (besides the final evaluation):
 * every `evalEvery` iterations when the user set an interval, else `evaluations` points spread
 * evenly, k · total / (evaluations + 1) for k = 1..evaluations (fewer when the run is shorter
 * than that). Sorted, distinct, each in [after + 1, total − 1]: `after` is where the schedule is
 * planned from (a budget run plans after its measured iterations), and the points spread over
 * (after, total].
 */
export function evalIterations(total: number, evalEvery: number, evaluations: number, after = 0): number[] {
  const out = new Set<number>();
  if (evalEvery > 0) {
    for (let it = evalEvery; it < total; it += evalEvery) if (it > after) out.add(it);
  } else {
    for (let k = 1; k <= evaluations; k++) {
      const it = after + Math.round((k * (total - after)) / (evaluations + 1));
      if (it > after && it < total) out.add(it);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** The LR-drop iterations of a run of `total` iterations (fractions measured from the end). */
export function lrDropIterations(s: Pick<SolverConfig, 'lrDropsFromEnd'>, total: number): number[] {
  return s.lrDropsFromEnd.map((f) => Math.round(total * (1 - f)));
}

/** The plan of a run whose length is set in epochs (or iterations). */
export function epochPlan(s: SolverConfig, total: number): SchedulePlan {
  return {
    basis: 'epochs', totalIterations: total, warmupIterations: s.warmupIterations,
    lrDropIterations: lrDropIterations(s, total), evalIterations: evalIterations(total, s.evalEveryIterations, s.evaluations),
  };
}

export interface BudgetMeasurement {
  budgetSeconds: number;
  /** Seconds spent so far (start-up and the measured iterations). */
  elapsedSeconds: number;
  /** Iterations already trained (they count towards the total). */
  doneIterations: number;
  measuredOverIterations: number;
  secondsPerIteration: number;
  /** One evaluation round (val AP, val loss, train sample), measured. */
  secondsPerEvaluation: number;
  /** The end of the run besides its final evaluation: predictions on val (≈ one more round). */
  finalSeconds: number;
}

/**
 * The length that fits the budget: total iterations T such that
 *   elapsed + (T − done) · s + (evaluations(T) + 1) · e + final ≤ budget.
 * Throws BudgetError naming the shortest workable budget when not even one more iteration fits.
 */
export function budgetPlan(s: SolverConfig, m: BudgetMeasurement): SchedulePlan {
  const left = m.budgetSeconds - m.elapsedSeconds - m.finalSeconds - m.secondsPerEvaluation;
  const evals = (total: number) => evalIterations(total, s.evalEveryIterations, s.evaluations, m.doneIterations);
  const fits = (total: number) => (total - m.doneIterations) * m.secondsPerIteration + evals(total).length * m.secondsPerEvaluation <= left;
  // Upper bound without evaluations, then walk down: the evaluation count only grows with T.
  let total = m.doneIterations + Math.floor(Math.max(0, left) / m.secondsPerIteration);
  while (total > m.doneIterations && !fits(total)) {
    const over = (total - m.doneIterations) * m.secondsPerIteration + evals(total).length * m.secondsPerEvaluation - left;
    total -= Math.max(1, Math.floor(over / m.secondsPerIteration));
  }
  if (total <= m.doneIterations) {
    const need = m.elapsedSeconds + m.finalSeconds + (s.evaluations + 1) * m.secondsPerEvaluation + (s.evaluations + 1) * m.secondsPerIteration;
    throw new BudgetError(
      `Error in budgetPlan: a budget of ${fmtMinutes(m.budgetSeconds)} is shorter than the run's start, one evaluation ` +
      `(${m.secondsPerEvaluation.toFixed(1)} s) and its final predictions; give solver.budgetMinutes ≥ ${Math.ceil(need / 6) / 10}`,
    );
  }
  return {
    basis: 'budget', totalIterations: total, warmupIterations: s.warmupIterations,
    lrDropIterations: lrDropIterations(s, total), evalIterations: evals(total),
    budgetSeconds: m.budgetSeconds, measuredOverIterations: m.measuredOverIterations, secondsPerIteration: m.secondsPerIteration,
    secondsPerEvaluation: m.secondsPerEvaluation, elapsedAtPlanSeconds: m.elapsedSeconds,
  };
}

/** Iterations timed before a budget run sets its length (after one untimed first step). */
export const BUDGET_MEASURE_ITERATIONS = 5;

function fmtMinutes(seconds: number): string {
  return seconds >= 120 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`;
}
