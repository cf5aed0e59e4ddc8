// The steps of a run's config that need its snapshot: the data-aware scale and anchors
// (trainer/data/data_aware.ts) unless the run's options set them, folded into the draft that
// runConfigFor (runs.ts) validates once, and then the checks that refuse a run which cannot start
// (trainer/data/preflight.ts) — before its folder or its row exist.
import type { TrainOptions } from '../api.ts';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import type { RunConfig } from '../../trainer/common/config.ts';
import { applyDataAware, dataAwareChoice } from '../../trainer/data/data_aware.ts';
import { preflightProblems } from '../../trainer/data/preflight.ts';
import { UserError } from './errors.ts';
import type { RunMachine } from './run_history.ts';
import { checkRunLimits } from './run_limits.ts';

/** True when the nested `overrides` hold a value at the dotted `path`. */
function hasPath(overrides: Record<string, unknown> | undefined, path: string): boolean {
  let node: unknown = overrides;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null || !(k in node)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  return true;
}

/**
 * `draft` fitted to `snapshot`'s train split (when draft.dataAware): a new, not yet validated config
 * for runConfigFor to validate, or `draft` itself when there is nothing to fit.
 */
export function dataAwareDraft(options: TrainOptions, snapshot: CocoDataset, draft: RunConfig): RunConfig {
  if (!draft.dataAware) return draft;
  const choice = dataAwareChoice(snapshot, draft);
  return choice ? applyDataAware(draft, choice, (p) => hasPath(options.overrides, p)) : draft;
}

/**
 * Refuses a validated `c` that cannot start on `snapshot`: UserError, or ConfigError when `machine`
 * cannot carry it out (the WASM heap, a budget priced too short).
 */
export function finishRunConfig(snapshot: CocoDataset, c: RunConfig, machine?: RunMachine): void {
  const problems = preflightProblems(snapshot, c);
  if (problems.length) throw new UserError(problems.join(' '));
  if (machine) checkRunLimits(snapshot, c, machine);
}
