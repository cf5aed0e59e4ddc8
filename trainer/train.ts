// The training loop: snapshot → batches → SGD steps, with progress events, periodic checkpoints,
// evaluation (COCO AP via trainer/eval) on val and on a fixed sample of training images, val loss,
// best-checkpoint tracking, early stop, cancel and resume; report.json at the end. Also estimate():
// a measured warm-up that predicts how long a run will take before it starts.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CocoCategory, CocoDataset, CocoResult } from './common/coco.ts';
import { backendNotes, gpuAdapter, initBackend, readScalars, readsAreAsync, wasmThreadsInUse, type BackendName } from './backend/index.ts';
import { defaultPresetFor, learningRateAt, summarizeConfig, validateRunConfig, type RunConfig } from './common/config.ts';
import type { ApIntervals, CocoStats, DoneEvent, EstimateResult, EvaluationEvent, FailedEvent, TrainerEvent } from './protocol.ts';
import { readSnapshot, splitDataset, type ImageRecord, type Snapshot, type Split } from './data/snapshot.ts';
import { ImageCache, makeBatch, prepareImage, type PreparedImage } from './data/loader.ts';
import { Rng } from './common/rng.ts';
import { writeJsonAtomic } from './io/atomic.ts';
import { readJsonLines } from './io/jsonl.ts';
import { MaskRcnn, buildMaskRcnnOptions } from './model/mask_rcnn.ts';
import { SgdMomentum } from './optim.ts';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint.ts';
import { predictRecords } from './predict.ts';
import { DataParallel, plannedWasmThreads, resolveWorkers } from './parallel/data_parallel.ts';
import { evaluateCoco } from './eval/coco_eval.ts';
import { bootstrapAp } from './eval/bootstrap.ts';
import { writeRunReport } from './advice/report.ts';
import { objectScaleSentence } from './data/data_aware.ts';
import { randomPhotometric, type Augment } from './data/augment.ts';
import { BUDGET_MEASURE_ITERATIONS, BudgetError, budgetPlan, epochPlan, type SchedulePlan } from './schedule.ts';

export interface TrainControl {
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

function hash(a: number, b: number, c: number): number {
  let h = 2166136261 ^ a;
  h = Math.imul(h ^ b, 16777619);
  h = Math.imul(h ^ c, 16777619);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * Starts the backend (once per process) with the XNNPACK threads the run's plan leaves to each WASM
 * instance: shards first (one per core, up to the images per batch), then the cores left over.
 * `planned` is the run's config as a CPU run resolves it (only its thread settings and batch size
 * are read). Returns the planned thread count, which the data-parallel workers start with too.
 */
async function startBackend(choice: RunConfig['backend'], planned: RunConfig): Promise<{ backend: BackendName; wasmThreads: number }> {
  const wasmThreads = plannedWasmThreads(planned.workers, planned.wasmThreads, planned.solver.imsPerBatch);
  return { backend: await initBackend(choice, { wasmThreads }), wasmThreads };
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
  return prepared;
}

/** One SGD step in this thread (see ./step.ts). Exported for tests (leak / determinism). */
export { trainStep } from './step.ts';

export interface SplitEvaluation { bbox: CocoStats; segm: CocoStats; results: CocoResult[]; perCategory: Record<string, unknown>; interval: ApIntervals }

/**
 * The training losses on held-out images, without gradients and without touching the weights or the
 * optimiser: the same `model.losses` code path (anchor and RoI sampling included) on batches of
 * `recs` at test-time scale, no flip, with a sampling RNG seeded per batch by (seed, batch) so every
 * evaluation sees the same draws. Returns the mean of each term over the batches (weighted by images).
 */
export async function heldOutLosses(model: MaskRcnn, c: RunConfig, recs: ImageRecord[], cache: ImageCache): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  let images = 0;
  const bs = c.solver.imsPerBatch;
  for (let i = 0, b = 0; i < recs.length; i += bs, b++) {
    const part = recs.slice(i, i + bs);
    const prepared = await Promise.all(part.map((r) => prepareImage(r, cache, c.input.testShortSide, c.input.maxSize, false, true)));
    const batch = makeBatch(prepared, c.input.sizeDivisibility);
    try {
      const proposals = readsAreAsync() ? await model.trainingProposals(batch) : undefined;
      const terms: Record<string, tf.Tensor> = tf.tidy(() => {
        const l: Record<string, tf.Tensor> = { ...model.losses(batch, prepared.map((p) => p.gt), new Rng(hash(c.seed, b, 0x7a1)), proposals) };
        l.total = tf.addN(Object.values(l));
        return l;
      });
      const values = await readScalars(terms);
      for (const [k, v] of Object.entries(values)) sums[k] = (sums[k] ?? 0) + v * part.length;
      images += part.length;
    } finally {
      batch.images.dispose();
    }
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, images)]));
}

/** Evaluates the model on one split with the COCO evaluator. */
export async function evaluateSplit(model: MaskRcnn, c: RunConfig, snap: Snapshot, split: Split, cache: ImageCache, pool?: DataParallel): Promise<SplitEvaluation> {
  const recs = snap.images.filter((r) => r.split === split);
  return evaluateRecords(model, c, snap, recs, splitDataset(snap.dataset, split), cache, pool);
}

/**
 * The fixed sample of training images evaluated alongside val: up to `count` of them, drawn once from
 * the run's seed (same images at every evaluation, and after a resume), in snapshot order.
 */
export function trainEvalSample(seed: number, train: ImageRecord[], count: number): ImageRecord[] {
  if (count <= 0) return [];
  if (count >= train.length) return [...train];
  const picked = new Rng(hash(seed, 0, 0x7e57)).shuffle(Array.from({ length: train.length }, (_, i) => i)).slice(0, count);
  return picked.sort((a, b) => a - b).map((i) => train[i]);
}

/** The ground truth of a subset of the snapshot's images (for the evaluator). */
function subsetDataset(ds: CocoDataset, recs: ImageRecord[]): CocoDataset {
  const ids = new Set(recs.map((r) => r.id));
  return { ...ds, images: ds.images.filter((i) => ids.has(i.id)), annotations: ds.annotations.filter((a) => ids.has(a.image_id)) };
}

/** Evaluates the model on `recs` (test-time scale, no flip) against `gt` with the COCO evaluator. */
async function evaluateRecords(model: MaskRcnn, c: RunConfig, snap: Snapshot, recs: ImageRecord[], gt: CocoDataset, cache: ImageCache, pool?: DataParallel): Promise<SplitEvaluation> {
  const results = await predictRecords(model, c, snap.classes.categories, recs, cache, c.solver.imsPerBatch, undefined, pool);
  const bbox = evaluateCoco(gt, results, 'bbox');
  const segm = evaluateCoco(gt, results, 'segm');
  // Every AP the verdict reads carries its noise: a seeded bootstrap over the evaluated images.
  const boxCI = bootstrapAp(bbox, { seed: c.seed });
  const maskCI = bootstrapAp(segm, { seed: c.seed });
  const perCategory: Record<string, unknown> = {};
  for (const p of bbox.perCategory) {
    const ci = boxCI.perCategory[String(p.categoryId)];
    perCategory[String(p.categoryId)] = { name: p.name, ap: p.ap, ap50: p.ap50, numGt: p.numGt, ...(ci ? { lo: ci.lo, hi: ci.hi } : {}) };
  }
  const interval: ApIntervals = { bbox: [boxCI.lo, boxCI.hi], segm: [maskCI.lo, maskCI.hi], resamples: boxCI.resamples, seed: boxCI.seed, instances: bbox.perCategory.reduce((n, p) => n + p.numGt, 0) };
  return { bbox: bbox.stats, segm: segm.stats, results, perCategory, interval };
}

const now = () => new Date().toISOString();

/**
 * Trains the run in `runDir` (snapshot.json + config.json) and returns the final event. Never
 * throws: a crash ends in a `failed` event, also written to metrics.jsonl and log.txt.
 */
export async function train(runDir: string, opts: TrainControl = {}): Promise<DoneEvent | FailedEvent> {
  runDir = resolve(runDir);
  if (!existsSync(runDir)) {
    const failed: FailedEvent = { type: 'failed', time: now(), reason: `Error in train: run folder ${runDir} does not exist` };
    opts.onEvent?.(failed);
    return failed;
  }
  const metricsPath = join(runDir, 'metrics.jsonl'), logPath = join(runDir, 'log.txt');
  const log = (line: string) => appendFileSync(logPath, `${now()} ${line}\n`);
  const emit = (e: TrainerEvent) => {
    appendFileSync(metricsPath, JSON.stringify(e) + '\n');
    opts.onEvent?.(e);
  };
  let iteration = 0;
  let model: MaskRcnn | null = null;
  let optimizer: SgdMomentum | null = null;
  let pool: DataParallel | null = null;
  try {
    const rawConfig = existsSync(join(runDir, 'config.json')) ? JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) : {};
    const lastPath = join(runDir, 'checkpoints', 'last'), bestPath = join(runDir, 'checkpoints', 'best');
    // A run stopped before its first checkpoint (cancelled while starting, killed early) has nothing
    // to continue from: resuming it starts it from the beginning, and says so.
    const extending = opts.extendMinutes !== undefined;
    if (extending && !(Number.isFinite(opts.extendMinutes) && opts.extendMinutes! >= 0.05)) throw new Error(`Error in train: extend needs minutes ≥ 0.05, got ${opts.extendMinutes}`);
    if (extending && !existsSync(lastPath)) throw new Error(`Error in train: run ${runDir} has no checkpoint to extend (checkpoints/last)`);
    const resumeCk = (opts.resume || extending) && existsSync(lastPath) ? readCheckpoint(lastPath) : null;
    if (opts.resume && !resumeCk) log('resume: no checkpoint yet (the run stopped before its first one); starting from the beginning');
    const { backend, wasmThreads } = await startBackend(resumeCk?.state.config.backend ?? rawConfig.backend ?? 'auto', resumeCk ? withNewSolverKeys(resumeCk.state.config) : validateRunConfig(rawConfig, 'cpu'));
    const c = resumeCk ? withNewSolverKeys(resumeCk.state.config) : validateRunConfig(rawConfig, defaultPresetFor(backend));
    if (extending) c.solver.budgetMinutes = opts.extendMinutes!;
    // Thread counts are fixed for the run (kept in its checkpoints): a resume uses the same.
    c.workers = resolveWorkers(c.workers, backend, c.solver.imsPerBatch);
    c.wasmThreads = wasmThreadsInUse();
    const snap = readSnapshot(runDir);
    const train = snap.images.filter((r) => r.split === 'train' || r.split === undefined);
    const val = snap.images.filter((r) => r.split === 'val');
    if (train.length === 0) throw new Error(`Error in train: the snapshot has no train images`);
    const categories: CocoCategory[] = resumeCk ? resumeCk.state.categories : snap.classes.categories;
    if (resumeCk && categories.map((k) => k.id).join() !== snap.classes.categories.map((k) => k.id).join()) {
      throw new Error(`Error in train: checkpoint classes ${categories.map((k) => k.id)} differ from the snapshot's ${snap.classes.categories.map((k) => k.id)}`);
    }
    // A budget run's length is set after its first iterations (see ./schedule.ts); until then the
    // epoch length stands in (only warm-up LRs are used before the plan, and no evaluation is due).
    let total = resumeCk ? resumeCk.state.totalIterations : totalIterationsFor(c, train.length);
    const planPath = join(runDir, 'plan.json');
    const budgetRun = (c.solver.budgetMinutes > 0 && !resumeCk) || extending;
    const earlierPlan = existsSync(planPath) ? JSON.parse(readFileSync(planPath, 'utf8')) as SchedulePlan & { previous?: SchedulePlan[] } : null;
    let plan: SchedulePlan | null = extending ? null : resumeCk && earlierPlan ? JSON.parse(readFileSync(planPath, 'utf8')) as SchedulePlan : budgetRun ? null : epochPlan(c.solver, total);
    if (plan && plan.totalIterations !== total) plan = epochPlan(c.solver, total);
    if (plan && !resumeCk) writeJsonAtomic(planPath, plan, 2);
    const clock = opts.clock ?? (() => performance.now() / 1000);
    const clockStart = clock();

    model = new MaskRcnn(buildMaskRcnnOptions(c, categories.length));
    optimizer = new SgdMomentum(model.store, c.solver.momentum, c.solver.weightDecay);
    let bestBoxAp = -1, bestIteration = -1;
    if (resumeCk) {
      restoreCheckpoint(resumeCk, model.store, optimizer);
      iteration = resumeCk.state.iteration;
      bestBoxAp = resumeCk.state.bestBoxAp;
      bestIteration = resumeCk.state.bestIteration;
    }
    pool = await DataParallel.startOrSingle(c.workers, backend, buildMaskRcnnOptions(c, categories.length), (why) => {
      log(`worker threads did not start, training on one thread: ${why}`);
    }, wasmThreads);
    c.workers = pool.shards;
    writeFileSync(join(runDir, 'config.resolved.json'), JSON.stringify(c, null, 2));
    const scaleLine = objectScaleSentence(snap.dataset, c);
    const summary = summarizeConfig(c, total, budgetRun) + (extending ? ` (extending from iteration ${iteration})` : '') + (scaleLine ? `; ${scaleLine}` : '');
    for (const note of backendNotes()) log(note);
    log(`started on ${backend}: ${summary}; ${train.length} train / ${val.length} val images; ${model.store.count} parameters; from iteration ${iteration}`);
    emit({ type: 'started', time: now(), backend, ...(gpuAdapter() ? { gpu: gpuAdapter()! } : {}), configSummary: summary, totalIterations: total, trainImages: train.length, valImages: val.length, startIteration: iteration });

    const cache = new ImageCache();
    const state = (): CheckpointState => ({ iteration, totalIterations: total, config: c, categories, backend, bestBoxAp, bestIteration });
    const checkpoint = async (path: string, kind: 'last' | 'best') => {
      await saveCheckpoint(path, state(), model!.store, kind === 'last' ? optimizer! : undefined);
      emit({ type: 'checkpoint', time: now(), path, iteration, kind });
    };
    const history: EvaluationEvent[] = [];
    let lastEval: EvaluationEvent | null = null;
    const trainSample = trainEvalSample(c.seed, train, c.solver.trainEvalImages);
    const trainSampleGt = subsetDataset(snap.dataset, trainSample);
    // Early stop: val evaluations since the last new best. After a resume, recount them from the
    // run's own event log (evaluations after the best one, up to the checkpoint's iteration).
    const patience = c.solver.earlyStopPatience;
    let sinceBest = resumeCk ? valEvalsSinceBest(metricsPath, bestIteration, iteration) : 0;
    const metric = (name: string, value: number) => emit({ type: 'metric', time: now(), name, value, iteration });
    /** One evaluation round: val AP, train-sample AP, val loss. Returns true to stop early. */
    const evaluate = async (): Promise<boolean> => {
      if (trainSample.length) {
        const r = await evaluateRecords(model!, c, snap, trainSample, trainSampleGt, cache, pool!);
        emit({ type: 'evaluation', time: now(), split: 'train', iteration, bbox: r.bbox, segm: r.segm, perCategory: r.perCategory, images: trainSample.length, interval: r.interval });
        metric('train/bbox/AP', r.bbox[0]);
        metric('train/segm/AP', r.segm[0]);
        log(`train-sample eval @${iteration} (${trainSample.length} images): box AP ${r.bbox[0].toFixed(3)}; mask AP ${r.segm[0].toFixed(3)}`);
      }
      if (!val.length) return false;
      const vl = await heldOutLosses(model!, c, val, cache);
      metric('val/loss', vl.total);
      const r = await evaluateSplit(model!, c, snap, 'val', cache, pool!);
      const ev: EvaluationEvent = { type: 'evaluation', time: now(), split: 'val', iteration, bbox: r.bbox, segm: r.segm, perCategory: r.perCategory, images: val.length, interval: r.interval };
      emit(ev);
      lastEval = ev;
      history.push(ev);
      for (const [name, v] of [['val/bbox/AP', r.bbox[0]], ['val/bbox/AP50', r.bbox[1]], ['val/segm/AP', r.segm[0]], ['val/segm/AP50', r.segm[1]]] as const) metric(name, v);
      log(`eval @${iteration}: box AP ${r.bbox[0].toFixed(3)} AP50 ${r.bbox[1].toFixed(3)}; mask AP ${r.segm[0].toFixed(3)} AP50 ${r.segm[1].toFixed(3)}; val loss ${vl.total.toFixed(3)}`);
      if (r.bbox[0] > bestBoxAp) {
        bestBoxAp = r.bbox[0];
        bestIteration = iteration;
        sinceBest = 0;
        await checkpoint(bestPath, 'best');
      } else {
        sinceBest++;
      }
      if (patience > 0 && sinceBest >= patience) {
        log(`early stop @${iteration}: no better val box AP in ${sinceBest} evaluations (best ${bestBoxAp.toFixed(3)} @${bestIteration})`);
        return true;
      }
      return opts.shouldStop?.(ev, history) ?? false;
    };

    // Until a budget run has its plan, it runs at least through its measured iterations.
    let stopAt = Math.min(budgetRun ? Math.max(total, iteration + 2 + BUDGET_MEASURE_ITERATIONS) : total, opts.stopAfterIteration ?? Infinity);
    let evalAt = new Set(plan?.evalIterations ?? []);
    let measureFrom = 0, replanned = false;
    let planAt = { t: 0, it: 0 };
    const started = Date.now();
    const startIt = iteration;
    let window: { t: number; it: number }[] = [];
    let next = iteration < stopAt ? loadBatch(c, train, cache, iteration) : null;
    let cancelled = false, earlyStopped = false;
    while (iteration < stopAt) {
      const prepared = await next!;
      // Prefetch the next batch while this one trains (sharp decodes on its own threads).
      next = iteration + 1 < stopAt ? loadBatch(c, train, cache, iteration + 1) : null;
      // No LR drop before a budget run knows its length.
      const lr = learningRateAt(c.solver, iteration, plan ? total : Infinity);
      const losses = await pool.trainStep(model, optimizer, prepared, c.input.sizeDivisibility, lr, hash(c.seed, iteration, 0x5a3), c.solver.clipGradNorm);
      iteration++;
      // Budget runs read the clock once per step: the measurement, then the re-plan after the first evaluation.
      const tc = budgetRun ? clock() : 0;
      if (budgetRun && !plan) {
        // The first step sets up kernels and decodes; the next BUDGET_MEASURE_ITERATIONS are timed.
        if (iteration === startIt + 1) measureFrom = tc;
        else if (iteration === startIt + 1 + BUDGET_MEASURE_ITERATIONS) {
          const secondsPerIteration = (tc - measureFrom) / BUDGET_MEASURE_ITERATIONS;
          const secondsPerEvaluation = await measureEvaluationSeconds(model, c, snap, train, val, trainSample, cache, pool, clock);
          plan = budgetPlan(c.solver, {
            budgetSeconds: c.solver.budgetMinutes * 60, elapsedSeconds: clock() - clockStart, doneIterations: iteration,
            measuredOverIterations: BUDGET_MEASURE_ITERATIONS, secondsPerIteration, secondsPerEvaluation,
            finalSeconds: val.length ? secondsPerEvaluation : 0,
          });
          if (extending && earlierPlan) Object.assign(plan, { previous: [...(earlierPlan.previous ?? []), { ...earlierPlan, previous: undefined }] });
          total = plan.totalIterations;
          stopAt = Math.min(total, opts.stopAfterIteration ?? total);
          evalAt = new Set(plan.evalIterations);
          writeJsonAtomic(planPath, plan, 2);
          planAt = { t: clock(), it: iteration };
          log(`budget ${c.solver.budgetMinutes} min: ${secondsPerIteration.toFixed(3)} s/iteration, ${secondsPerEvaluation.toFixed(1)} s/evaluation → ${total} iterations, LR drops at ${plan.lrDropIterations.join(', ')}, evaluations at ${plan.evalIterations.join(', ')}`);
        }
      }
      const t = Date.now();
      window.push({ t, it: iteration });
      window = window.filter((w) => t - w.t < 60_000 || window.length <= 5);
      const first = window[0];
      const ips = window.length > 1 ? ((iteration - first.it) * c.solver.imsPerBatch * 1000) / Math.max(1, t - first.t) : (c.solver.imsPerBatch * (iteration - startIt) * 1000) / Math.max(1, t - started);
      if (iteration % 10 === 0 || iteration === stopAt || iteration === startIt + 1) {
        const eta = ips > 0 ? ((total - iteration) * c.solver.imsPerBatch) / ips : 0;
        emit({ type: 'progress', time: now(), iteration, totalIterations: total, epoch: (iteration * c.solver.imsPerBatch) / train.length, imagesPerSecond: ips, etaSeconds: eta, lr, losses });
        if (iteration % 50 === 0 || iteration === stopAt) log(`it ${iteration}/${total} lr ${lr.toExponential(2)} ${Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ')}`);
      }
      if (opts.signal?.aborted) { cancelled = true; break; }
      const ckEvery = c.solver.checkpointEveryIterations;
      if (ckEvery > 0 && iteration % ckEvery === 0 && iteration < total) await checkpoint(lastPath, 'last');
      if (evalAt.has(iteration) && iteration < total) {
        const te0 = tc;
        if (await evaluate()) { earlyStopped = true; break; }
        if (budgetRun && plan && !replanned) {
          // The plan priced evaluations at the untrained model's speed; the first real one re-prices
          // them (and the steps since the plan) and sets the rest of the schedule to end on time.
          replanned = true;
          const te1 = clock();
          const steps = iteration - planAt.it;
          const secondsPerIteration = steps >= BUDGET_MEASURE_ITERATIONS ? (te0 - planAt.t) / steps : plan.secondsPerIteration!;
          const doneEvals = plan.evalIterations.filter((it) => it <= iteration);
          try {
            const tail = budgetPlan({ ...c.solver, evaluations: Math.max(0, c.solver.evaluations - doneEvals.length) }, {
              budgetSeconds: c.solver.budgetMinutes * 60, elapsedSeconds: te1 - clockStart, doneIterations: iteration, measuredOverIterations: steps,
              secondsPerIteration, secondsPerEvaluation: te1 - te0, finalSeconds: val.length ? te1 - te0 : 0,
            });
            const first = { totalIterations: plan.totalIterations, secondsPerIteration: plan.secondsPerIteration, secondsPerEvaluation: plan.secondsPerEvaluation, elapsedAtPlanSeconds: plan.elapsedAtPlanSeconds, measuredOverIterations: plan.measuredOverIterations, evalIterations: plan.evalIterations };
            plan = { ...plan, ...tail, evalIterations: [...doneEvals, ...tail.evalIterations], replanned: { atIteration: iteration, first } } as SchedulePlan;
            total = plan.totalIterations;
            stopAt = Math.min(total, opts.stopAfterIteration ?? Infinity);
            evalAt = new Set(plan.evalIterations);
            writeJsonAtomic(planPath, plan, 2);
            log(`re-planned after the first evaluation (${(te1 - te0).toFixed(1)} s, ${secondsPerIteration.toFixed(3)} s/iteration): ${total} iterations, evaluations at ${plan.evalIterations.join(', ')}`);
          } catch (e) {
            if (!(e instanceof BudgetError)) throw e;
            log(`kept the plan after the first evaluation: ${e.message}`);
          }
        }
      }
    }
    if (next) await next;
    await checkpoint(lastPath, 'last');
    const finished = iteration >= total || earlyStopped;
    if (finished && !cancelled && (!lastEval || (lastEval as EvaluationEvent).iteration !== iteration)) await evaluate();
    let predictionsPath: string | undefined;
    const final = lastEval as EvaluationEvent | null;
    if (finished && !cancelled && val.length) {
      // Predictions of the best model on val, for review in the app.
      if (existsSync(bestPath) && bestIteration !== iteration) restoreCheckpoint(readCheckpoint(bestPath), model.store);
      const r = await predictRecords(model, c, categories, val, cache, c.solver.imsPerBatch, undefined, pool);
      predictionsPath = join(runDir, 'predictions.json');
      writeJsonAtomic(predictionsPath, r);
    }
    const bbox = final?.bbox ?? [], segm = final?.segm ?? [];
    const done: DoneEvent = { type: 'done', time: now(), iteration, bbox, segm, predictionsPath, reason: finished && !cancelled ? 'completed' : 'cancelled' };
    if (bestIteration >= 0) Object.assign(done, { bestIteration, bestBoxAp });
    if (earlyStopped && !cancelled) done.stoppedEarly = true;
    if (plan) {
      const wallSeconds = clock() - clockStart;
      plan.kept = { wallSeconds, iterations: iteration, finishedAt: now(), ...(plan.budgetSeconds ? { ratioToBudget: wallSeconds / plan.budgetSeconds } : {}) };
      writeJsonAtomic(planPath, plan, 2);
      if (plan.budgetSeconds) log(`budget kept: ${wallSeconds.toFixed(0)} s of ${plan.budgetSeconds.toFixed(0)} s (${(100 * plan.kept.ratioToBudget!).toFixed(0)} %)`);
    }
    log(`done (${done.reason}${done.stoppedEarly ? ', stopped early' : ''}) at iteration ${iteration}`);
    emit(done);
    // The full report (verdict + evidence) from the run's own files, so headless runs are complete too.
    try {
      const report = writeRunReport(runDir);
      log(`report.json: ${report.verdict.verdict} (${report.verdict.confidence} confidence)`);
    } catch (e) {
      log(`could not write report.json: ${(e as Error)?.message ?? e}`);
    }
    return done;
  } catch (e) {
    const reason = (e as Error)?.message ?? String(e);
    const failed: FailedEvent = { type: 'failed', time: now(), reason, iteration };
    try {
      log(`failed: ${reason}\n${(e as Error)?.stack ?? ''}`);
      emit(failed);
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
  return { ...c, input: { ...c.input, scaleJitter: c.input.scaleJitter ?? [1, 1], photometric: c.input.photometric ?? 0 }, dataAware: c.dataAware ?? false, workers: c.workers ?? 0, wasmThreads: c.wasmThreads ?? 0, solver: { ...c.solver, trainEvalImages: c.solver.trainEvalImages ?? 50, earlyStopPatience: c.solver.earlyStopPatience ?? 0, evaluations: c.solver.evaluations ?? 0, budgetMinutes: c.solver.budgetMinutes ?? 0 } };
}

/** Val evaluations logged in metrics.jsonl after `bestIteration` and up to `iteration` (for early stop on resume). */
function valEvalsSinceBest(metricsPath: string, bestIteration: number, iteration: number): number {
  const its = new Set<number>();
  for (const e of readJsonLines<TrainerEvent>(metricsPath)) {
    if (e.type === 'evaluation' && e.split === 'val' && e.iteration > bestIteration && e.iteration <= iteration) its.add(e.iteration);
  }
  return its.size;
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/**
 * Seconds of one evaluation round — val AP (detect + COCO eval), val loss, the train sample — priced
 * from one timed batch of each at the model's current state. Used by estimate() and by budget runs.
 */
async function measureEvaluationSeconds(model: MaskRcnn, c: RunConfig, snap: Snapshot, train: ImageRecord[], val: ImageRecord[], sample: ImageRecord[], cache: ImageCache, pool: DataParallel | null, clock: () => number = () => performance.now() / 1000): Promise<number> {
  if (!val.length && !sample.length) return 0;
  const probe = (val.length ? val : train).slice(0, c.solver.imsPerBatch);
  let t0 = clock();
  await predictRecords(model, c, snap.classes.categories, probe, cache, c.solver.imsPerBatch, undefined, pool ?? undefined);
  const detectPerImage = (clock() - t0) / probe.length;
  let lossPerImage = 0;
  if (val.length) {
    t0 = clock();
    await heldOutLosses(model, c, probe, cache);
    lossPerImage = (clock() - t0) / probe.length;
  }
  return (val.length + sample.length) * detectPerImage + val.length * lossPerImage;
}

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
  const { backend, wasmThreads } = await startBackend(rawConfig.backend ?? 'auto', validateRunConfig(rawConfig, 'cpu'));
  const c = validateRunConfig(rawConfig, defaultPresetFor(backend));
  c.workers = resolveWorkers(c.workers, backend, c.solver.imsPerBatch);
  const snap = readSnapshot(runDir);
  const train = snap.images.filter((r) => r.split === 'train' || r.split === undefined);
  const val = snap.images.filter((r) => r.split === 'val');
  if (train.length === 0) throw new Error(`Error in estimate: the snapshot has no train images`);
  const total = totalIterationsFor(c, train.length);
  const model = new MaskRcnn(buildMaskRcnnOptions(c, snap.classes.categories.length));
  const optimizer = new SgdMomentum(model.store, c.solver.momentum, c.solver.weightDecay);
  const cache = new ImageCache();
  let pool: DataParallel | null = null;
  try {
    pool = await DataParallel.startOrSingle(c.workers, backend, buildMaskRcnnOptions(c, snap.classes.categories.length), () => {}, wasmThreads);
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
    return {
      backend,
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
