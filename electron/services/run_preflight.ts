// The last step of a run's config, with its snapshot in hand: the data-aware scale and anchors
// (trainer/data/data_aware.ts) unless the run's options set them, then the checks that refuse a run
// which cannot start (trainer/data/preflight.ts) — before its folder or its row exist.
import type { TrainOptions } from '../api.ts';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import { validateRunConfig, type RunConfig } from '../../trainer/common/config.ts';
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
 * `config` fitted to `snapshot`'s train split (when config.dataAware), then checked. Throws UserError,
 * or ConfigError when `machine` cannot carry it out (the WASM heap, a budget priced too short).
 */
export function finishRunConfig(options: TrainOptions, snapshot: CocoDataset, config: RunConfig, machine?: RunMachine): RunConfig {
  let c = config;
  if (c.dataAware) {
    const choice = dataAwareChoice(snapshot, c);
    if (choice) c = validateRunConfig(applyDataAware(c, choice, (p) => hasPath(options.overrides, p)));
  }
  const problems = preflightProblems(snapshot, c);
  if (problems.length) throw new UserError(problems.join(' '));
  if (machine) checkRunLimits(snapshot, c, machine);
  return c;
}
