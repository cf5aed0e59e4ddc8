// A pre-run price for a time budget, so that a budget too short for one evaluation is refused before
// any compute (and before the run exists). The trainer sets a budget run's length from speeds it
// measures over its first steps (../schedule.ts budgetPlan) and refuses there when not even one more
// iteration fits after its start, one evaluation and its final predictions; that check stays, as
// the second line. This one prices the same minimum from the speeds earlier budget runs of the same
// model measured on this machine (their plan.json), or the app's time estimates (which time real
// steps and one evaluation batch the same way), scaled to this run's images and scale:
//   minimum = start-up + (1 + BUDGET_MEASURE_ITERATIONS + 1) steps + one evaluation + the final one.
// Why earlier runs and not a model of the hardware: the same config trains 100× faster on a GPU than
// on WASM, and a CPU's speed varies several-fold with its cores and load; what this machine measured
// is the one price that is not a guess. With no comparable earlier run there is no pre-run price and
// the trainer's own check decides.
import type { RunConfig } from '../common/config.ts';

/** Iterations a budget run trains before it plans (one untimed, then the timed ones): ../schedule.ts. */
const MEASURED_STEPS = 1 + 5;

/** What an earlier budget run (or a time estimate) measured, with the config and images it measured them on. */
export interface PriorRunSpeed {
  /** Where the figures come from, for the message: "run <id>", "the time estimate of <time>". */
  source: string;
  /** The backend it ran on (wasm, cpu, webgpu, …). */
  backend: string;
  config: RunConfig;
  trainImages: number;
  valImages: number;
  secondsPerIteration: number;
  secondsPerEvaluation: number;
  /** Seconds from the trainer's start to its plan (start-up, the measured steps, the evaluation probe). */
  elapsedAtPlanSeconds: number;
}

export interface BudgetPrice {
  /** The shortest budget that the trainer's plan could accept, in seconds. */
  seconds: number;
  secondsPerIteration: number;
  secondsPerEvaluation: number;
  from: PriorRunSpeed;
}

/** The parts of a config that change what a step or an evaluation costs per pixel (the model); scale and counts are scaled for. */
function modelKey(c: RunConfig): string {
  return JSON.stringify([c.backbone, c.norm, c.fpnChannels, c.rpn.aspectRatios.length, { ...c.rpn, anchorSizes: null, aspectRatios: null }, c.roi, c.mask, c.input.sizeDivisibility]);
}

const backendOf = (c: RunConfig): string | null => ({ wasm: 'wasm', cpu: 'cpu', webgpu: 'webgpu', 'tfjs-node': 'tensorflow', 'tfjs-node-gpu': 'tensorflow-gpu', auto: null } as Record<string, string | null>)[c.backend];

/** Images one evaluation round runs: val, and the train sample. */
const evalImages = (c: RunConfig, train: number, val: number) => val + Math.min(c.solver.trainEvalImages, train);

/**
 * The cheapest price of `c`'s minimum budget from `priors` of the same model (and backend, when `c`
 * names one), or null when none compares. Per-iteration time scales with images per batch and the
 * training scale's area, an evaluation with its image count and the test scale's area.
 */
export function priceMinimumBudget(c: RunConfig, counts: { train: number; val: number }, priors: PriorRunSpeed[]): BudgetPrice | null {
  const key = modelKey(c), want = backendOf(c);
  let best: BudgetPrice | null = null;
  for (const p of priors) {
    if (modelKey(p.config) !== key || (want && p.backend !== want)) continue;
    if (!(p.secondsPerIteration > 0) || !(p.secondsPerEvaluation >= 0) || !(p.elapsedAtPlanSeconds >= 0)) continue;
    const side = (x: RunConfig) => Math.max(...x.input.trainShortSides);
    const perIt = p.secondsPerIteration * (c.solver.imsPerBatch / p.config.solver.imsPerBatch) * (side(c) / side(p.config)) ** 2;
    const priorEval = evalImages(p.config, p.trainImages, p.valImages);
    const perEval = priorEval > 0 ? p.secondsPerEvaluation * (evalImages(c, counts.train, counts.val) / priorEval) * (c.input.testShortSide / p.config.input.testShortSide) ** 2 : 0;
    // Start-up: what the earlier run spent before its plan besides its measured steps (backend, model,
    // decoding, the one-batch evaluation probe); it does not scale with the config.
    const startup = Math.max(0, p.elapsedAtPlanSeconds - MEASURED_STEPS * p.secondsPerIteration);
    // budgetPlan refuses when budget − elapsed − final − one evaluation leaves less than one step.
    const seconds = startup + MEASURED_STEPS * perIt + perEval + (counts.val > 0 ? perEval : 0) + perIt;
    if (!best || seconds < best.seconds) best = { seconds, secondsPerIteration: perIt, secondsPerEvaluation: perEval, from: p };
  }
  return best;
}

/** The refusal of a budget below its price, or null (no budget, no price, or it fits). */
export function budgetRefusal(c: RunConfig, counts: { train: number; val: number }, priors: PriorRunSpeed[]): { message: string; price: BudgetPrice } | null {
  const budget = c.solver.budgetMinutes * 60;
  if (!(budget > 0)) return null;
  const price = priceMinimumBudget(c, counts, priors);
  if (!price || price.seconds <= budget) return null;
  const minutes = Math.ceil(price.seconds / 6) / 10;
  return {
    price,
    message: `A time budget of ${fmt(budget)} is shorter than this run's start, its ${MEASURED_STEPS} measured steps, one evaluation and its final predictions: ` +
      `about ${fmt(price.seconds)} on this machine (${price.secondsPerIteration.toFixed(2)} s/iteration, ${price.secondsPerEvaluation.toFixed(1)} s/evaluation of ${evalImages(c, counts.train, counts.val)} images, ` +
      `priced from what ${price.from.source} measured on ${price.from.backend}). Give at least ${minutes} minutes (solver.budgetMinutes ≥ ${minutes}), or train for a number of epochs.`,
  };
}

function fmt(seconds: number): string {
  return seconds >= 120 ? `${(seconds / 60).toFixed(1)} min` : `${Math.round(seconds)} s`;
}

/**
 * Budgets shorter than this, with no price yet, are worth one time estimate before the run is created
 * (a few steps and one evaluation batch, tens of seconds on CPU): what it measures prices the budget,
 * so a budget too short is refused before the run exists. Longer budgets cover the start and one
 * evaluation of any config the memory check lets through on this project's machines (the slowest
 * minimum measured here: about 1 min, the cpu preset at 320 px on wagon-defects), so they start
 * without one and the trainer's own check stays as the second line.
 */
export const PROBE_BELOW_MINUTES = 30;

/** True when `c` has a budget under PROBE_BELOW_MINUTES that no earlier run or estimate prices. */
export function budgetNeedsProbe(c: RunConfig, counts: { train: number; val: number }, priors: PriorRunSpeed[]): boolean {
  const m = c.solver.budgetMinutes;
  return m > 0 && m < PROBE_BELOW_MINUTES && !priceMinimumBudget(c, counts, priors);
}
