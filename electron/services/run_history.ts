// What this project's earlier runs tell about this machine, for the refusals before a run starts
// (run_preflight.ts): the speeds its budget runs measured (their plan.json and resolved config), and
// whether any run here got a GPU backend or native TensorFlow is installed — else a run on `auto`
// trains on WASM / pure JS, where the heap limit applies.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { validateRunConfig } from '../../trainer/common/config.ts';
import type { PriorRunSpeed } from '../../trainer/data/budget_price.ts';
import type { Project } from './project.ts';

export interface RunMachine {
  cores: number;
  /** A backend other than WASM / pure JS is known to be here (an earlier run got one, or tfjs-node is installed). */
  gpuOrNative: boolean;
  priors: PriorRunSpeed[];
}

const NATIVE = new Set(['webgpu', 'tensorflow', 'tensorflow-gpu']);

function resolvable(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

function readJson(path: string): unknown {
  try {
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
  } catch {
    return null; // a half-written or foreign file: that run simply does not count
  }
}

/** The newest `limit` budget runs' measured speeds in `project`, and what the backends here are. */
export function runMachine(project: Project, limit = 20): RunMachine {
  const rows = project.db.prepare('SELECT id, backend, train_images, val_images FROM runs ORDER BY created_at DESC').all() as { id: string; backend: string | null; train_images: number; val_images: number }[];
  const priors: PriorRunSpeed[] = [];
  for (const r of rows) {
    if (priors.length >= limit || !r.backend) continue;
    const dir = project.resolveInside(join('runs', r.id));
    const plan = readJson(join(dir, 'plan.json')) as { basis?: string; secondsPerIteration?: number; secondsPerEvaluation?: number; elapsedAtPlanSeconds?: number; replanned?: { first?: { secondsPerIteration?: number; secondsPerEvaluation?: number; elapsedAtPlanSeconds?: number } } } | null;
    // The first plan's figures: the same measurement (on the untrained model) the trainer's own check uses.
    const m = plan?.replanned?.first ?? plan;
    if (plan?.basis !== 'budget' || !m || typeof m.secondsPerIteration !== 'number' || typeof m.secondsPerEvaluation !== 'number' || typeof m.elapsedAtPlanSeconds !== 'number') continue;
    let config;
    try {
      config = validateRunConfig(readJson(join(dir, 'config.resolved.json')) ?? readJson(join(dir, 'config.json')) ?? {});
    } catch {
      continue; // a config of an older version: not comparable
    }
    priors.push({ runId: r.id, backend: r.backend, config, trainImages: r.train_images, valImages: r.val_images, secondsPerIteration: m.secondsPerIteration, secondsPerEvaluation: m.secondsPerEvaluation, elapsedAtPlanSeconds: m.elapsedAtPlanSeconds });
  }
  const gpuOrNative = rows.some((r) => r.backend !== null && NATIVE.has(r.backend)) || resolvable('@tensorflow/tfjs-node') || resolvable('@tensorflow/tfjs-node-gpu');
  return { cores: availableParallelism(), gpuOrNative, priors };
}
