// Training a run folder: set up (config validated once, snapshot, model, workers), then the loop of
// SGD steps with its hooks (./engine/: schedule planning, progress, checkpoints, evaluation with best
// checkpoint and early stop, live verdicts, predictions, report.json), cancel and resume. Also
// estimate(): a measured warm-up that predicts how long a run will take before it starts.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CocoCategory } from './common/coco.ts';
import { backendNotes, gpuAdapter, initBackend, wasmThreadsInUse, type BackendName } from './backend/index.ts';
import { describeAdapter } from './backend/webgpu.ts';
import { defaultPresetFor, learningRateAt, summarizeConfig, validateRunConfig, type RunConfig } from './common/config.ts';
import type { DoneEvent, EstimateResult, EvaluationEvent, FailedEvent, TrainerEvent } from './protocol.ts';
import { readSnapshot, type ImageRecord } from './data/snapshot.ts';
import { ImageCache, pasteInto, prepareImage, type PreparedImage } from './data/loader.ts';
import { randomPastePlan } from './data/copy_paste.ts';
import { Rng } from './common/rng.ts';
import { MaskRcnn, buildMaskRcnnOptions, type MaskRcnnOptions } from './model/mask_rcnn.ts';
import { SgdMomentum } from './optim.ts';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint.ts';
import { DataParallel, plannedWasmThreads, resolveWorkers } from './parallel/data_parallel.ts';
import { connectGpuHost, type GpuHostChoice } from './gpu_host/trainer_side.ts';
import { objectScaleSentence } from './data/data_aware.ts';
import { randomPhotometric, type Augment } from './data/augment.ts';
import { memoryRefusal } from './data/memory_estimate.ts';
import { budgetPlan, epochPlan } from './schedule.ts';
import { runLoop, type LoopState, type Stepper } from './engine/loop.ts';
import { now, type RunPaths, type RunRecord, type TrainContext } from './engine/context.ts';
import { hash } from './engine/seeds.ts';
import { writeJsonAtomic } from './io/atomic.ts';
import { measureEvaluationSeconds, subsetDataset, trainEvalSample } from './engine/evaluation.ts';
import { RunSchedule, budgetPlanner, budgetReplanner, readPlan, scheduleKeeper } from './engine/schedule_hooks.ts';
import { cancelOnAbort, periodicCheckpointer, progressReporter } from './engine/hooks.ts';
import { evalHook } from './engine/eval_hook.ts';
import { endWithReport, finalReport, liveVerdicts, valPredictions } from './engine/report_hook.ts';

export { heldOutLosses, evaluateSplit, trainEvalSample, type SplitEvaluation } from './engine/evaluation.ts';

export interface TrainOptions {
  onEvent?: (e: TrainerEvent) => void;
  /** Aborting stops after the current iteration, writes checkpoints/last and ends with done(reason 'cancelled'). */
  signal?: AbortSignal;
  /** Continue from checkpoints/last (the schedule, data order and LR continue where they stopped). */
  resume?: boolean;
  /** Stop after this many iterations of the schedule (tests: "train k, then resume"). */
  stopAfterIteration?: number;
  /**
   * Extra hook called after each val evaluation; return true to stop early (besides the built-in
   * solver.earlyStopPatience). Not used by default.
   */
  shouldStop?: (e: EvaluationEvent, history: EvaluationEvent[]) => boolean;
  /**
   * Extend a finished (or stopped) run from checkpoints/last by this many minutes: a new schedule tail
   * planned like a budget run (speed measured again, then base LR until new drops at
   * solver.lrDropsFromEnd of the new total, and evaluations spread over the tail).
   */
  extendMinutes?: number;
  /** Seconds on a monotonic clock (tests pass a fake one); times a budget run's plan and how it kept to it. */
  clock?: () => number;
}

/** Iterations for `epochs` over `numTrain` images at `imsPerBatch`. */
export function totalIterationsFor(c: RunConfig, numTrain: number): number {
  return Math.max(1, Math.ceil((c.solver.epochs * numTrain) / c.solver.imsPerBatch));
}

/**
 * Train-split indices of iteration `it`: epoch e visits a permutation seeded by (seed, e), so any
 * iteration's batch is known without replaying the run (exact resume).
 */
export function batchIndices(seed: number, it: number, imsPerBatch: number, numTrain: number): number[] {
  const out: number[] = [];
  let permEpoch = -1, perm: number[] = [];
  for (let j = 0; j < imsPerBatch; j++) {
    const g = it * imsPerBatch + j;
    const e = Math.floor(g / numTrain);
    if (e !== permEpoch) {
      perm = new Rng(hash(seed, e, 0x5eed)).shuffle(Array.from({ length: numTrain }, (_, i) => i));
      permEpoch = e;
    }
    out.push(perm[g % numTrain]);
  }
  return out;
}

/**
 * Starts the backend (once per process) with the XNNPACK threads the run's plan leaves to each WASM
 * instance: shards first (one per core, up to the images per batch), then the cores left over.
 * `planned` is the run's config as a CPU run resolves it (only its thread settings and batch size
 * are read). Returns the planned thread count, which the data-parallel workers start with too.
 * In the desktop app a WebGPU run trains through the GPU host page (./gpu_host/trainer_side.ts): the
 * run's backend is `webgpu` and this thread keeps the data and the optimiser on WASM.
 */
async function startBackend(choice: RunConfig['backend'], planned: RunConfig): Promise<StartedBackend> {
  const wasmThreads = plannedWasmThreads(planned.workers, planned.wasmThreads, planned.solver.imsPerBatch);
  const host = await connectGpuHost(choice);
  if (host && 'shard' in host) {
    await initBackend('wasm', { wasmThreads });
    return { backend: 'webgpu', wasmThreads, gpuHost: host };
  }
  return { backend: await initBackend(choice, { wasmThreads, ...(host ? { gpuSource: host.noGpu } : {}) }), wasmThreads, gpuHost: null };
}

interface StartedBackend {
  backend: BackendName;
  wasmThreads: number;
  /** Set when the run trains through the app's GPU host. */
  gpuHost: Extract<GpuHostChoice, { shard: unknown }> | null;
}

/** The run's data-parallel pool: the GPU host's shard alone, or this thread plus worker threads. */
function openPool(started: StartedBackend, c: RunConfig, modelOptions: MaskRcnnOptions, onFallback: (why: string) => void): Promise<DataParallel> {
  if (started.gpuHost) return DataParallel.remote(started.gpuHost.shard, modelOptions);
  return DataParallel.startOrSingle(resolveWorkers(c.workers, started.backend, c.solver.imsPerBatch), started.backend, modelOptions, onFallback, started.wasmThreads);
}

/** Loads and augments the images of iteration `it` (scale jitter + flip from an iteration-seeded RNG). */
async function loadBatch(c: RunConfig, train: ImageRecord[], cache: ImageCache, it: number): Promise<PreparedImage[]> {
  const rng = new Rng(hash(c.seed, it, 0xa06));
  const idx = batchIndices(c.seed, it, c.solver.imsPerBatch, train.length);
  const [lo, hi] = c.input.scaleJitter;
  const augmenting = lo !== 1 || hi !== 1 || c.input.photometric > 0;
  const prepared = await Promise.all(idx.map((i, j) => {
    const side = c.input.trainShortSides[rng.int(c.input.trainShortSides.length)];
    const flip = c.input.hflip && rng.next() < 0.5;
    if (!augmenting) return prepareImage(train[i], cache, side, c.input.maxSize, flip, true);
    // Its own RNG, so runs without augmentation draw exactly what they drew before it existed.
    const aRng = new Rng(hash(c.seed, it * 1024 + j, 0xa117));
    const aug: Augment = { scaleFactor: lo + aRng.next() * (hi - lo), rng: aRng, photometric: c.input.photometric > 0 ? randomPhotometric(c.input.photometric, aRng) : undefined };
    return prepareImage(train[i], cache, side, c.input.maxSize, flip, true, aug);
  }));
  return c.input.copyPaste > 0 ? withCopyPaste(c, train, cache, it, idx, prepared) : prepared;
}

/**
 * Instance copy-paste (./data/copy_paste.ts) on a prepared batch: each image, with probability
 * input.copyPaste, gets instances of another image of the batch (of a random other train image when
 * the batch holds one), as that image was prepared (before any paste). Its own RNG stream.
 */
async function withCopyPaste(c: RunConfig, train: ImageRecord[], cache: ImageCache, it: number, idx: number[], prepared: PreparedImage[]): Promise<PreparedImage[]> {
  return Promise.all(prepared.map(async (target, j) => {
    const rng = new Rng(hash(c.seed, it * 1024 + j, 0xc0b7));
    if (rng.next() >= c.input.copyPaste) return target;
    let source: PreparedImage | undefined;
    if (prepared.length > 1) source = prepared[(j + 1 + rng.int(prepared.length - 1)) % prepared.length];
    else if (train.length > 1) {
      const k = (idx[j] + 1 + rng.int(train.length - 1)) % train.length;
      source = await prepareImage(train[k], cache, c.input.trainShortSides[rng.int(c.input.trainShortSides.length)], c.input.maxSize, c.input.hflip && rng.next() < 0.5, true);
    }
    if (!source?.truth) return target;
    const plan = randomPastePlan({ width: source.width, height: source.height, masks: source.truth.classes }, target, c.input.copyPasteScale, rng);
    return plan ? pasteInto(target, source, plan) : target;
  }));
}

/** One SGD step in this thread (see ./step.ts). Exported for tests (leak / determinism). */
export { trainStep } from './step.ts';

/**
 * The run's config, validated once: with the preset named in it, or else the CPU preset, which is
 * what starts the backend (its thread settings); only where the started backend's default preset
 * differs (tfjs-node-gpu → paper) and the config names none is it validated for that preset instead.
 * A resumed run continues with its checkpoint's config (validated when the run began).
 */
async function loadRunConfig(raw: Record<string, unknown>, fromCheckpoint: RunConfig | null): Promise<{ config: RunConfig; started: StartedBackend }> {
  const first = fromCheckpoint ?? validateRunConfig(raw, 'cpu');
  const started = await startBackend(fromCheckpoint?.backend ?? (raw.backend as RunConfig['backend'] | undefined) ?? 'auto', first);
  const { backend } = started;
  const config = !fromCheckpoint && raw.preset === undefined && defaultPresetFor(backend) !== first.preset ? validateRunConfig(raw, defaultPresetFor(backend)) : first;
  return { config, started };
}

/**
 * On WASM and pure JS, a step that would not fit in one WASM heap aborts the process mid-step: refuse
 * it before the model is built (the app refuses it before the run exists; this catches `webgpu` runs
 * that fell back to WASM and configs written by hand).
 */
function assertFitsHeap(c: RunConfig, backend: BackendName, train: ImageRecord[]): void {
  if (backend !== 'wasm' && backend !== 'cpu') return;
  const aspect = train.reduce((a, r) => Math.max(a, Math.max(r.width, r.height) / Math.max(1, Math.min(r.width, r.height))), 1);
  const r = memoryRefusal(c, resolveWorkers(c.workers, backend, c.solver.imsPerBatch), aspect);
  if (r) throw new Error(`Error in train: on ${backend}, ${r.message}`);
}

/** Freezes a config and everything in it: the run reads it, nothing changes it. */
function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** SGD steps on prefetched batches: the next batch loads (sharp decodes on its own threads) while this one trains. */
function sgdStepper(c: RunConfig, train: ImageRecord[], cache: ImageCache, model: MaskRcnn, optimizer: SgdMomentum, pool: DataParallel, loop: LoopState, schedule: RunSchedule): Stepper {
  let next: { it: number; batch: Promise<PreparedImage[]> } | null = null;
  return {
    async step(it) {
      const prepared = await (next?.it === it ? next.batch : loadBatch(c, train, cache, it));
      next = it + 1 < loop.stopAt ? { it: it + 1, batch: loadBatch(c, train, cache, it + 1) } : null;
      const lr = learningRateAt(c.solver, it, schedule.lrTotal);
      const losses = await pool.trainStep(model, optimizer, prepared, c.input.sizeDivisibility, lr, hash(c.seed, it, 0x5a3), c.solver.clipGradNorm);
      return { losses, lr };
    },
    async drain() {
      if (next) await next.batch;
    },
  };
}

/**
 * Trains the run in `runDir` (snapshot.json + config.json) and returns the final event. Never
 * throws: a crash ends in a `failed` event, also written to metrics.jsonl and log.txt.
 */
export async function train(runDir: string, opts: TrainOptions = {}): Promise<DoneEvent | FailedEvent> {
  runDir = resolve(runDir);
  if (!existsSync(runDir)) {
    const failed: FailedEvent = { type: 'failed', time: now(), reason: `Error in train: run folder ${runDir} does not exist` };
    opts.onEvent?.(failed);
    return failed;
  }
  const paths: RunPaths = {
    runDir, metrics: join(runDir, 'metrics.jsonl'), log: join(runDir, 'log.txt'), plan: join(runDir, 'plan.json'),
    lastCheckpoint: join(runDir, 'checkpoints', 'last'), bestCheckpoint: join(runDir, 'checkpoints', 'best'),
  };
  const log = (line: string) => appendFileSync(paths.log, `${now()} ${line}\n`);
  const emit = (e: TrainerEvent) => {
    appendFileSync(paths.metrics, JSON.stringify(e) + '\n');
    opts.onEvent?.(e);
  };
  const loop: LoopState = { iteration: 0, stopAt: 0, stopReason: null, losses: {}, lr: 0 };
  let model: MaskRcnn | null = null;
  let optimizer: SgdMomentum | null = null;
  let pool: DataParallel | null = null;
  try {
    const rawConfig = existsSync(join(runDir, 'config.json')) ? JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) : {};
    // A run stopped before its first checkpoint (cancelled while starting, killed early) has nothing
    // to continue from: resuming it starts it from the beginning, and says so.
    const extending = opts.extendMinutes !== undefined;
    if (extending && !(Number.isFinite(opts.extendMinutes) && opts.extendMinutes! >= 0.05)) throw new Error(`Error in train: extend needs minutes ≥ 0.05, got ${opts.extendMinutes}`);
    if (extending && !existsSync(paths.lastCheckpoint)) throw new Error(`Error in train: run ${runDir} has no checkpoint to extend (checkpoints/last)`);
    const resumeCk = (opts.resume || extending) && existsSync(paths.lastCheckpoint) ? readCheckpoint(paths.lastCheckpoint) : null;
    if (opts.resume && !resumeCk) log('resume: no checkpoint yet (the run stopped before its first one); starting from the beginning');
    const { config: validated, started } = await loadRunConfig(rawConfig, resumeCk ? withNewSolverKeys(resumeCk.state.config) : null);
    const { backend } = started;
    const snap = readSnapshot(runDir);
    const train = snap.images.filter((r) => r.split === 'train' || r.split === undefined);
    const val = snap.images.filter((r) => r.split === 'val');
    if (train.length === 0) throw new Error(`Error in train: the snapshot has no train images`);
    assertFitsHeap(validated, backend, train);
    const categories: CocoCategory[] = resumeCk ? resumeCk.state.categories : snap.classes.categories;
    if (resumeCk && categories.map((k) => k.id).join() !== snap.classes.categories.map((k) => k.id).join()) {
      throw new Error(`Error in train: checkpoint classes ${categories.map((k) => k.id)} differ from the snapshot's ${snap.classes.categories.map((k) => k.id)}`);
    }
    // An extension is a budget run of its own minutes.
    const solver = extending ? { ...validated.solver, budgetMinutes: opts.extendMinutes! } : validated.solver;
    // A budget run's length is set after its first iterations (see ./schedule.ts); until then the
    // epoch length stands in (only warm-up LRs are used before the plan, and no evaluation is due).
    const earlierPlan = existsSync(paths.plan) ? readPlan(paths.plan) : null;
    const clock = opts.clock ?? (() => performance.now() / 1000);
    const schedule = RunSchedule.open({
      solver, planPath: paths.plan, total: resumeCk ? resumeCk.state.totalIterations : totalIterationsFor({ ...validated, solver }, train.length),
      resuming: !!resumeCk, extending, stopAfterIteration: opts.stopAfterIteration, clock,
    });

    const modelOptions: MaskRcnnOptions = buildMaskRcnnOptions(validated, categories.length);
    model = new MaskRcnn(modelOptions);
    optimizer = new SgdMomentum(model.store, validated.solver.momentum, validated.solver.weightDecay);
    const record: RunRecord = { bestBoxAp: -1, bestIteration: -1, lastEval: null, history: [], lastRoundAt: -1 };
    if (resumeCk) {
      restoreCheckpoint(resumeCk, model.store, optimizer);
      loop.iteration = resumeCk.state.iteration;
      record.bestBoxAp = resumeCk.state.bestBoxAp;
      record.bestIteration = resumeCk.state.bestIteration;
    }
    pool = await openPool(started, validated, modelOptions, (why) => {
      log(`worker threads did not start, training on one thread: ${why}`);
    });
    // What this process resolved (thread counts are then fixed for the run: a resume keeps them).
    const c = deepFreeze<RunConfig>({ ...validated, workers: pool.shards, wasmThreads: wasmThreadsInUse(), solver });
    writeJsonAtomic(join(runDir, 'config.resolved.json'), c, 2);
    const scaleLine = objectScaleSentence(snap.dataset, c);
    const summary = summarizeConfig(c, schedule.total, schedule.budgetRun) + (extending ? ` (extending from iteration ${loop.iteration})` : '') + (scaleLine ? `; ${scaleLine}` : '');
    for (const note of backendNotes()) log(note);
    const gpu = started.gpuHost?.adapter ?? gpuAdapter();
    if (started.gpuHost) log(`WebGPU adapter: ${describeAdapter(started.gpuHost.adapter)}, in the app's GPU host (this process keeps the data, the optimiser and the run folder, on WASM)`);
    log(`started on ${backend}: ${summary}; ${train.length} train / ${val.length} val images; ${model.store.count} parameters; from iteration ${loop.iteration}`);
    emit({ type: 'started', time: now(), backend, ...(gpu ? { gpu } : {}), configSummary: summary, totalIterations: schedule.total, trainImages: train.length, valImages: val.length, startIteration: loop.iteration });

    const trainSample = trainEvalSample(c.seed, train, c.solver.trainEvalImages);
    const ctx: TrainContext = {
      paths, config: c, backend, snap, train, val, categories, trainSample, trainSampleGt: subsetDataset(snap.dataset, trainSample),
      model, optimizer, pool, cache: new ImageCache(), clock, emit, log,
      async checkpoint(kind, iteration) {
        const state: CheckpointState = { iteration, totalIterations: schedule.total, config: c, categories, backend, bestBoxAp: record.bestBoxAp, bestIteration: record.bestIteration };
        const path = kind === 'last' ? paths.lastCheckpoint : paths.bestCheckpoint;
        await saveCheckpoint(path, state, ctx.model.store, kind === 'last' ? ctx.optimizer : undefined);
        emit({ type: 'checkpoint', time: now(), path, iteration, kind });
      },
    };
    loop.stopAt = schedule.initialStopAt(loop.iteration);
    // Order matters: the budget planner reads the clock first; progress before a cancel takes
    // effect; a cancel before the step's checkpoint and evaluation; the re-plan after the evaluation.
    await runLoop(loop, sgdStepper(c, train, ctx.cache, model, optimizer, pool, loop, schedule), [
      budgetPlanner(ctx, schedule, c.solver.budgetMinutes, earlierPlan, extending),
      progressReporter(ctx, schedule),
      cancelOnAbort(opts.signal),
      periodicCheckpointer(ctx, schedule),
      evalHook(ctx, schedule, record, { resuming: !!resumeCk, shouldStop: opts.shouldStop }),
      budgetReplanner(ctx, schedule, record, c.solver.budgetMinutes),
      liveVerdicts(ctx, record),
      valPredictions(ctx, schedule, record),
      scheduleKeeper(ctx, schedule),
      finalReport(ctx, schedule, record),
    ]);
    return record.done!;
  } catch (e) {
    const reason = (e as Error)?.message ?? String(e);
    const failed: FailedEvent = { type: 'failed', time: now(), reason, iteration: loop.iteration };
    try {
      log(`failed: ${reason}\n${(e as Error)?.stack ?? ''}`);
      // The report of a failed run: no verdict, and the evidence so far.
      endWithReport({ paths, emit, log }, failed);
    } catch { /* the run folder itself is unwritable; the caller still gets the event */ }
    return failed;
  } finally {
    await pool?.close();
    optimizer?.dispose();
    model?.dispose();
  }
}

/**
 * A checkpoint written before solver.trainEvalImages / earlyStopPatience existed resumes with the
 * train sample at its preset default and without early stop (the run did not ask for it).
 */
function withNewSolverKeys(c: RunConfig): RunConfig {
  return { ...c, input: { ...c.input, scaleJitter: c.input.scaleJitter ?? [1, 1], photometric: c.input.photometric ?? 0, copyPaste: c.input.copyPaste ?? 0, copyPasteScale: c.input.copyPasteScale ?? [0.5, 1.5] }, dataAware: c.dataAware ?? false, workers: c.workers ?? 0, wasmThreads: c.wasmThreads ?? 0, solver: { ...c.solver, trainEvalImages: c.solver.trainEvalImages ?? 50, earlyStopPatience: c.solver.earlyStopPatience ?? 0, evaluations: c.solver.evaluations ?? 0, budgetMinutes: c.solver.budgetMinutes ?? 0 } };
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/**
 * How long will this run take? A short measured warm-up on the run's real snapshot images and config:
 * one untimed step (kernel set-up, first decodes), then `iterations` timed train steps (batch loading
 * included, as in training), plus one timed batch of inference and of val loss to price the evaluation
 * rounds. Nothing is written to the run folder (weights start random and are thrown away).
 */
export async function estimate(runDir: string, o: { iterations?: number } = {}): Promise<EstimateResult> {
  runDir = resolve(runDir);
  const n = o.iterations ?? 3;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`Error in estimate: iterations must be an integer in [1, 1000], got ${n}`);
  if (!existsSync(runDir)) throw new Error(`Error in estimate: run folder ${runDir} does not exist`);
  const rawConfig = existsSync(join(runDir, 'config.json')) ? JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) : {};
  const { config: c, started } = await loadRunConfig(rawConfig, null);
  const { backend } = started;
  const snap = readSnapshot(runDir);
  const train = snap.images.filter((r) => r.split === 'train' || r.split === undefined);
  const val = snap.images.filter((r) => r.split === 'val');
  if (train.length === 0) throw new Error(`Error in estimate: the snapshot has no train images`);
  const total = totalIterationsFor(c, train.length);
  const modelOptions = buildMaskRcnnOptions(c, snap.classes.categories.length);
  const model = new MaskRcnn(modelOptions);
  const optimizer = new SgdMomentum(model.store, c.solver.momentum, c.solver.weightDecay);
  const cache = new ImageCache();
  let pool: DataParallel | null = null;
  try {
    pool = await openPool(started, c, modelOptions, () => {});
    const times: number[] = [];
    for (let it = 0; it <= n; it++) {
      const t0 = performance.now();
      const prepared = await loadBatch(c, train, cache, it);
      await pool.trainStep(model, optimizer, prepared, c.input.sizeDivisibility, learningRateAt(c.solver, it, total), hash(c.seed, it, 0x5a3), c.solver.clipGradNorm);
      if (it > 0) times.push((performance.now() - t0) / 1000);
    }
    const secondsPerIteration = median(times);
    const sample = trainEvalSample(c.seed, train, c.solver.trainEvalImages);
    const perRound = await measureEvaluationSeconds(model, c, snap, train, val, sample, cache, pool);
    // A budget run's length comes from the same measurement the trainer makes (./schedule.ts).
    const plan = c.solver.budgetMinutes > 0
      ? budgetPlan(c.solver, { budgetSeconds: c.solver.budgetMinutes * 60, elapsedSeconds: 0, doneIterations: 0, measuredOverIterations: n, secondsPerIteration, secondsPerEvaluation: perRound, finalSeconds: val.length ? perRound : 0 })
      : epochPlan(c.solver, total);
    const rounds = plan.evalIterations.length + 1;
    const evaluationSeconds = rounds * perRound;
    const finalSeconds = val.length ? perRound : 0;
    const gpu = started.gpuHost?.adapter ?? gpuAdapter();
    const notes = backendNotes();
    return {
      backend,
      ...(gpu ? { gpu } : {}),
      ...(notes.length ? { notes } : {}),
      imagesPerSecond: c.solver.imsPerBatch / secondsPerIteration,
      secondsPerIteration,
      totalIterations: plan.totalIterations,
      estimatedSeconds: secondsPerIteration * plan.totalIterations + evaluationSeconds + finalSeconds,
      evaluationSeconds,
      finalSeconds,
      timedIterations: n,
    };
  } finally {
    await pool?.close();
    optimizer.dispose();
    model.dispose();
  }
}
