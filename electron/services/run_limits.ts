// Refusals of a run this machine cannot carry out, before its folder or its row exist: a config whose
// training step would not fit in one WASM heap (when the run will train on WASM / pure JS), and a
// time budget shorter than its start and one evaluation as this machine's earlier runs priced them.
// Both cross as `config` errors naming the key, the rule and the value. The trainer checks both again
// once its backend runs (the heap) and once it has measured itself (the budget).
import type { CocoDataset } from '../../trainer/common/coco.ts';
import { ConfigError, type RunConfig } from '../../trainer/common/config.ts';
import { budgetRefusal } from '../../trainer/data/budget_price.ts';
import { memoryRefusal } from '../../trainer/data/memory_estimate.ts';
import type { RunMachine } from './run_history.ts';

/** True when `c` will train on WASM or pure JS here: asked for, or `auto` with no GPU or native TensorFlow known. */
export function trainsOnCpuBackend(c: RunConfig, machine: RunMachine): boolean {
  return c.backend === 'wasm' || c.backend === 'cpu' || (c.backend === 'auto' && !machine.gpuOrNative);
}

/** The widest train image's long ÷ short side (the batch pads to the widest). */
export function widestAspect(snapshot: CocoDataset): number {
  let a = 1;
  for (const im of snapshot.images) if ((im.split ?? 'train') === 'train' && im.width > 0 && im.height > 0) a = Math.max(a, Math.max(im.width, im.height) / Math.min(im.width, im.height));
  return a;
}

/** Throws ConfigError when `c` cannot run here. */
export function checkRunLimits(snapshot: CocoDataset, c: RunConfig, machine: RunMachine): void {
  if (trainsOnCpuBackend(c, machine)) {
    const r = memoryRefusal(c, machine.cores, widestAspect(snapshot));
    if (r) throw new ConfigError(`Run config: ${r.message}`, { key: r.key, rule: 'must fit in one WASM heap', value: r.value });
  }
  const counts = { train: snapshot.images.filter((i) => (i.split ?? 'train') === 'train').length, val: snapshot.images.filter((i) => i.split === 'val').length };
  const b = budgetRefusal(c, counts, machine.priors);
  if (b) throw new ConfigError(`Run config: ${b.message}`, { key: 'solver.budgetMinutes', rule: 'must cover the run\'s start and one evaluation', value: c.solver.budgetMinutes });
}
