// What this project's earlier runs tell about this machine, for the refusals before a run starts
// (run_preflight.ts): the speeds its budget runs measured (their plan.json and resolved config), and
// whether any run here got a GPU backend or native TensorFlow is installed — else a run on `auto`
// trains on WASM / pure JS, where the heap limit applies.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { validateRunConfig } from '../../trainer/common/config.ts';
import type { PriorRunSpeed } from '../../trainer/data/budget_price.ts';
import type { RunEstimate } from '../api.ts';
import type { RunConfig } from '../../trainer/common/config.ts';
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
    priors.push({ source: `run ${r.id}`, backend: r.backend, config, trainImages: r.train_images, valImages: r.val_images, secondsPerIteration: m.secondsPerIteration, secondsPerEvaluation: m.secondsPerEvaluation, elapsedAtPlanSeconds: m.elapsedAtPlanSeconds });
  }
  priors.push(...estimateSpeeds(project, limit));
  const gpuOrNative = rows.some((r) => r.backend !== null && NATIVE.has(r.backend)) || resolvable('@tensorflow/tfjs-node') || resolvable('@tensorflow/tfjs-node-gpu');
  return { cores: availableParallelism(), gpuOrNative, priors };
}

/** Where the time estimates' speeds are kept: one JSON line per estimate (the service writes it, it reads it). */
const ESTIMATES = join('runs', '.estimate-speeds.jsonl');

/**
 * Keeps what a time estimate measured (seconds per step and per evaluation round, on its config and
 * images) so that a budget run started after it is priced before it exists. Its start-up is not kept:
 * the estimate's process start and backend set-up come before a run's budget clock starts, so the
 * price from an estimate counts the measured steps and evaluations only (a lower bound).
 */
export function recordEstimateSpeed(project: Project, config: RunConfig, counts: { train: number; val: number }, e: RunEstimate): void {
  const perEval = e.finalSeconds && e.finalSeconds > 0 ? e.finalSeconds : e.evaluationSeconds / Math.max(1, config.solver.evaluations + 1);
  if (!(e.secondsPerIteration > 0) || !(perEval >= 0)) return;
  const file = project.resolveInside(ESTIMATES);
  mkdirSync(join(file, '..'), { recursive: true });
  appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), backend: e.backend, config, trainImages: counts.train, valImages: counts.val, secondsPerIteration: e.secondsPerIteration, secondsPerEvaluation: perEval }) + '\n');
}

/** The newest `limit` estimates' speeds (a torn last line, or a config of another version, is skipped). */
function estimateSpeeds(project: Project, limit: number): PriorRunSpeed[] {
  const file = project.resolveInside(ESTIMATES);
  if (!existsSync(file)) return [];
  const out: PriorRunSpeed[] = [];
  for (const line of readFileSync(file, 'utf8').trim().split('\n').reverse()) {
    if (out.length >= limit) break;
    try {
      const r = JSON.parse(line);
      if (typeof r.secondsPerIteration !== 'number' || typeof r.secondsPerEvaluation !== 'number') continue;
      out.push({ source: `the time estimate of ${r.time}`, backend: String(r.backend), config: validateRunConfig(r.config), trainImages: r.trainImages, valImages: r.valImages, secondsPerIteration: r.secondsPerIteration, secondsPerEvaluation: r.secondsPerEvaluation, elapsedAtPlanSeconds: 6 * r.secondsPerIteration });
    } catch {
      continue;
    }
  }
  return out;
}
