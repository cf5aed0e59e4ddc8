// What one evaluation round measures: COCO AP with bootstrap intervals on a set of images, the
// training losses on held-out images, and what a round costs (for the time-budget planner).
import * as tf from '@tensorflow/tfjs-core';
import type { CocoDataset, CocoResult } from '../common/coco.ts';
import { readScalars, readsAreAsync } from '../backend/index.ts';
import type { RunConfig } from '../common/config.ts';
import type { ApIntervals, CocoStats } from '../protocol.ts';
import { splitDataset, type ImageRecord, type Snapshot, type Split } from '../data/snapshot.ts';
import { makeBatch, prepareImage, type ImageCache } from '../data/loader.ts';
import { Rng } from '../common/rng.ts';
import type { ImageDetections, MaskRcnn } from '../model/mask_rcnn.ts';
import { detectionsToCoco, predictRecords } from '../predict.ts';
import type { DataParallel } from '../parallel/data_parallel.ts';
import { evaluateCoco } from '../eval/coco_eval.ts';
import { bootstrapAp } from '../eval/bootstrap.ts';
import { hash } from './seeds.ts';

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
export function subsetDataset(ds: CocoDataset, recs: ImageRecord[]): CocoDataset {
  const ids = new Set(recs.map((r) => r.id));
  return { ...ds, images: ds.images.filter((i) => ids.has(i.id)), annotations: ds.annotations.filter((a) => ids.has(a.image_id)) };
}

/** Evaluates the model on `recs` (test-time scale, no flip) against `gt` with the COCO evaluator. */
export async function evaluateRecords(model: MaskRcnn, c: RunConfig, snap: Snapshot, recs: ImageRecord[], gt: CocoDataset, cache: ImageCache, pool?: DataParallel): Promise<SplitEvaluation> {
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

/**
 * Seconds of one evaluation round — val AP (detect + COCO eval), val loss, the train sample — priced
 * from one timed batch of each at the model's current state. Used by estimate() and by budget runs.
 *
 * The model is priced before it has learned anything: then it keeps up to roi.detectionsPerImage
 * low-score boxes per image, and turning each into a full-size mask (paste + RLE) dominates. A few
 * iterations later it keeps far fewer (on wagon-defects, tiny: ~61 per image untrained, each round
 * 10× cheaper by iteration 15). So the forward pass and the per-detection cost are timed apart, and
 * the round is priced as if the model kept twice as many detections as the images have labelled
 * instances (at most what it keeps now).
 */
export async function measureEvaluationSeconds(model: MaskRcnn, c: RunConfig, snap: Snapshot, train: ImageRecord[], val: ImageRecord[], sample: ImageRecord[], cache: ImageCache, pool: DataParallel | null, clock: () => number = () => performance.now() / 1000): Promise<number> {
  if (!val.length && !sample.length) return 0;
  const probe = (val.length ? val : train).slice(0, c.solver.imsPerBatch);
  let t0 = clock();
  const prepared = await Promise.all(probe.map((r) => prepareImage(r, cache, c.input.testShortSide, c.input.maxSize, false, false)));
  let dets: ImageDetections[];
  if (pool) dets = await pool.detect(model, prepared, c.input.sizeDivisibility);
  else {
    const batch = makeBatch(prepared, c.input.sizeDivisibility);
    try {
      dets = await model.detect(batch);
    } finally {
      batch.images.dispose();
    }
  }
  const forwardPerImage = (clock() - t0) / probe.length;
  t0 = clock();
  let kept = 0;
  dets.forEach((d, k) => (kept += detectionsToCoco(d, probe[k], [prepared[k].height, prepared[k].width], snap.classes.categories, c.mask.threshold).length));
  const perDetection = kept > 0 ? (clock() - t0) / kept : 0;
  const labelled = val.length ? val : train;
  const instancesPerImage = labelled.reduce((n, r) => n + r.instances.length, 0) / labelled.length;
  const expectedDetections = Math.min(kept / probe.length, Math.max(1, 2 * instancesPerImage));
  const detectPerImage = forwardPerImage + perDetection * expectedDetections;
  let lossPerImage = 0;
  if (val.length) {
    t0 = clock();
    await heldOutLosses(model, c, probe, cache);
    lossPerImage = (clock() - t0) / probe.length;
  }
  return (val.length + sample.length) * detectPerImage + val.length * lossPerImage;
}
