// The training loop: snapshot → batches → SGD steps, with progress events, periodic checkpoints,
// val evaluation (COCO AP via trainer/eval), best-checkpoint tracking, cancel and resume.
import { appendFileSync, existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CocoCategory, CocoResult } from '../electron/coco.ts';
import { initBackend } from './backend/index.ts';
import { defaultPresetFor, learningRateAt, summarizeConfig, validateRunConfig, type RunConfig } from './config.ts';
import type { CocoStats, DoneEvent, EvaluationEvent, FailedEvent, TrainerEvent } from './protocol.ts';
import { readSnapshot, splitDataset, type ImageRecord, type Snapshot, type Split } from './data/snapshot.ts';
import { ImageCache, makeBatch, prepareImage, type PreparedImage } from './data/loader.ts';
import { Rng } from './data/rng.ts';
import { MaskRcnn, buildMaskRcnnOptions, type ImageBatch, type GtInstances } from './model/mask_rcnn.ts';
import { SgdMomentum } from './optim.ts';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint.ts';
import { predictRecords } from './predict.ts';
import { evaluateCoco } from './eval/coco_eval.ts';

export interface TrainOptions {
  onEvent?: (e: TrainerEvent) => void;
  /** Aborting stops after the current iteration, writes checkpoints/last and ends with done(reason 'cancelled'). */
  signal?: AbortSignal;
  /** Continue from checkpoints/last (the schedule, data order and LR continue where they stopped). */
  resume?: boolean;
  /** Stop after this many iterations of the schedule (tests: "train k, then resume"). */
  stopAfterIteration?: number;
  /**
   * Hook called after each evaluation; return true to stop early (the early-stopping issue plugs in
   * here). Not used by default.
   */
  shouldStop?: (e: EvaluationEvent, history: EvaluationEvent[]) => boolean;
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

/** Loads and augments the batch of iteration `it` (scale jitter + flip from an iteration-seeded RNG). */
async function loadBatch(c: RunConfig, train: ImageRecord[], cache: ImageCache, it: number): Promise<{ batch: ImageBatch; gt: GtInstances[]; prepared: PreparedImage[] }> {
  const rng = new Rng(hash(c.seed, it, 0xa06));
  const idx = batchIndices(c.seed, it, c.solver.imsPerBatch, train.length);
  const prepared = await Promise.all(idx.map((i) => {
    const side = c.input.trainShortSides[rng.int(c.input.trainShortSides.length)];
    const flip = c.input.hflip && rng.next() < 0.5;
    return prepareImage(train[i], cache, side, c.input.maxSize, flip, true);
  }));
  return { batch: makeBatch(prepared, c.input.sizeDivisibility), gt: prepared.map((p) => p.gt), prepared };
}

/** One SGD step; returns the loss values. Exported for tests (leak / determinism). */
export function trainStep(model: MaskRcnn, optimizer: SgdMomentum, batch: ImageBatch, gt: GtInstances[], lr: number, rng: Rng, clipNorm: number): Record<string, number> {
  const vars = [...model.store.params.values()].map((p) => p.variable);
  let parts: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const l = model.losses(batch, gt, rng);
    const total = tf.addN(Object.values(l)) as tf.Scalar;
    parts = Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.dataSync()[0]]));
    return total;
  }, vars);
  parts.total = value.dataSync()[0];
  if (!Number.isFinite(parts.total)) {
    tf.dispose([value, ...Object.values(grads)]);
    throw new Error(`Error in trainStep: loss is ${parts.total} (${JSON.stringify(parts)}); lower solver.baseLr`);
  }
  optimizer.step(grads, lr, clipNorm);
  tf.dispose([value, ...Object.values(grads)]);
  return parts;
}

/** Evaluates the model on one split with the COCO evaluator. */
export async function evaluateSplit(model: MaskRcnn, c: RunConfig, snap: Snapshot, split: Split, cache: ImageCache): Promise<{ bbox: CocoStats; segm: CocoStats; results: CocoResult[]; perCategory: Record<string, unknown> }> {
  const recs = snap.images.filter((r) => r.split === split);
  const results = await predictRecords(model, c, snap.classes.categories, recs, cache, c.solver.imsPerBatch);
  const gt = splitDataset(snap.dataset, split);
  const bbox = evaluateCoco(gt, results, 'bbox');
  const segm = evaluateCoco(gt, results, 'segm');
  const perCategory: Record<string, unknown> = {};
  for (const p of bbox.perCategory) perCategory[String(p.categoryId)] = { name: p.name, ap: p.ap, ap50: p.ap50, numGt: p.numGt };
  return { bbox: bbox.stats, segm: segm.stats, results, perCategory };
}

const now = () => new Date().toISOString();

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
  const metricsPath = join(runDir, 'metrics.jsonl'), logPath = join(runDir, 'log.txt');
  const log = (line: string) => appendFileSync(logPath, `${now()} ${line}\n`);
  const emit = (e: TrainerEvent) => {
    appendFileSync(metricsPath, JSON.stringify(e) + '\n');
    opts.onEvent?.(e);
  };
  let iteration = 0;
  let model: MaskRcnn | null = null;
  let optimizer: SgdMomentum | null = null;
  try {
    const rawConfig = existsSync(join(runDir, 'config.json')) ? JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) : {};
    const lastPath = join(runDir, 'checkpoints', 'last'), bestPath = join(runDir, 'checkpoints', 'best');
    const resumeCk = opts.resume ? readCheckpoint(lastPath) : null;
    const backend = await initBackend(resumeCk?.state.config.backend ?? rawConfig.backend ?? 'auto');
    const c = resumeCk ? resumeCk.state.config : validateRunConfig(rawConfig, defaultPresetFor(backend));
    const snap = readSnapshot(runDir);
    const train = snap.images.filter((r) => r.split === 'train' || r.split === undefined);
    const val = snap.images.filter((r) => r.split === 'val');
    if (train.length === 0) throw new Error(`Error in train: the snapshot has no train images`);
    const categories: CocoCategory[] = resumeCk ? resumeCk.state.categories : snap.classes.categories;
    if (resumeCk && categories.map((k) => k.id).join() !== snap.classes.categories.map((k) => k.id).join()) {
      throw new Error(`Error in train: checkpoint classes ${categories.map((k) => k.id)} differ from the snapshot's ${snap.classes.categories.map((k) => k.id)}`);
    }
    const total = resumeCk ? resumeCk.state.totalIterations : totalIterationsFor(c, train.length);
    writeFileSync(join(runDir, 'config.resolved.json'), JSON.stringify(c, null, 2));

    model = new MaskRcnn(buildMaskRcnnOptions(c, categories.length));
    optimizer = new SgdMomentum(model.store, c.solver.momentum, c.solver.weightDecay);
    let bestBoxAp = -1, bestIteration = -1;
    if (resumeCk) {
      restoreCheckpoint(resumeCk, model.store, optimizer);
      iteration = resumeCk.state.iteration;
      bestBoxAp = resumeCk.state.bestBoxAp;
      bestIteration = resumeCk.state.bestIteration;
    }
    const summary = summarizeConfig(c, total);
    log(`started on ${backend}: ${summary}; ${train.length} train / ${val.length} val images; ${model.store.count} parameters; from iteration ${iteration}`);
    emit({ type: 'started', time: now(), backend, configSummary: summary, totalIterations: total, trainImages: train.length, valImages: val.length, startIteration: iteration });

    const cache = new ImageCache();
    const state = (): CheckpointState => ({ iteration, totalIterations: total, config: c, categories, backend, bestBoxAp, bestIteration });
    const checkpoint = (path: string, kind: 'last' | 'best') => {
      saveCheckpoint(path, state(), model!.store, kind === 'last' ? optimizer! : undefined);
      emit({ type: 'checkpoint', time: now(), path, iteration, kind });
    };
    const history: EvaluationEvent[] = [];
    let lastEval: EvaluationEvent | null = null;
    const evaluate = async (): Promise<boolean> => {
      if (!val.length) return false;
      const r = await evaluateSplit(model!, c, snap, 'val', cache);
      const ev: EvaluationEvent = { type: 'evaluation', time: now(), split: 'val', iteration, bbox: r.bbox, segm: r.segm, perCategory: r.perCategory };
      emit(ev);
      lastEval = ev;
      history.push(ev);
      for (const [name, v] of [['val/bbox/AP', r.bbox[0]], ['val/bbox/AP50', r.bbox[1]], ['val/segm/AP', r.segm[0]], ['val/segm/AP50', r.segm[1]]] as const) {
        emit({ type: 'metric', time: now(), name, value: v, iteration });
      }
      log(`eval @${iteration}: box AP ${r.bbox[0].toFixed(3)} AP50 ${r.bbox[1].toFixed(3)}; mask AP ${r.segm[0].toFixed(3)} AP50 ${r.segm[1].toFixed(3)}`);
      if (r.bbox[0] > bestBoxAp) {
        bestBoxAp = r.bbox[0];
        bestIteration = iteration;
        checkpoint(bestPath, 'best');
      }
      return opts.shouldStop?.(ev, history) ?? false;
    };

    const stopAt = Math.min(total, opts.stopAfterIteration ?? total);
    const started = Date.now();
    const startIt = iteration;
    let window: { t: number; it: number }[] = [];
    let next = iteration < stopAt ? loadBatch(c, train, cache, iteration) : null;
    let cancelled = false, earlyStopped = false;
    while (iteration < stopAt) {
      const { batch, gt } = await next!;
      // Prefetch the next batch while this one trains (sharp decodes on its own threads).
      next = iteration + 1 < stopAt ? loadBatch(c, train, cache, iteration + 1) : null;
      const lr = learningRateAt(c.solver, iteration, total);
      let losses: Record<string, number>;
      try {
        losses = trainStep(model, optimizer, batch, gt, lr, new Rng(hash(c.seed, iteration, 0x5a3)), c.solver.clipGradNorm);
      } finally {
        batch.images.dispose();
      }
      iteration++;
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
      const ckEvery = c.solver.checkpointEveryIterations, evEvery = c.solver.evalEveryIterations;
      if (ckEvery > 0 && iteration % ckEvery === 0 && iteration < total) checkpoint(lastPath, 'last');
      if (evEvery > 0 && iteration % evEvery === 0 && iteration < total) {
        if (await evaluate()) { earlyStopped = true; break; }
      }
    }
    if (next) { const pending = await next; pending.batch.images.dispose(); }
    checkpoint(lastPath, 'last');
    const finished = iteration >= total || earlyStopped;
    if (finished && !cancelled && (!lastEval || (lastEval as EvaluationEvent).iteration !== iteration)) await evaluate();
    let predictionsPath: string | undefined;
    const final = lastEval as EvaluationEvent | null;
    if (finished && !cancelled && val.length) {
      // Predictions of the best model on val, for review in the app.
      if (existsSync(bestPath) && bestIteration !== iteration) restoreCheckpoint(readCheckpoint(bestPath), model.store);
      const r = await predictRecords(model, c, categories, val, cache, c.solver.imsPerBatch);
      predictionsPath = join(runDir, 'predictions.json');
      writeAtomic(predictionsPath, JSON.stringify(r));
    }
    const bbox = final?.bbox ?? [], segm = final?.segm ?? [];
    if (finished && !cancelled && !existsSync(join(runDir, 'report.json'))) {
      writeAtomic(join(runDir, 'report.json'), JSON.stringify({ iteration, totalIterations: total, backend, bestBoxAp, bestIteration, final: { bbox, segm } }, null, 2));
    }
    const done: DoneEvent = { type: 'done', time: now(), iteration, bbox, segm, predictionsPath, reason: finished && !cancelled ? 'completed' : 'cancelled' };
    log(`done (${done.reason}) at iteration ${iteration}`);
    emit(done);
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
    optimizer?.dispose();
    model?.dispose();
  }
}

function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
