// How far an AP measured on a small val split can be trusted: a seeded bootstrap over the val images.
//
// A resample draws as many images as the split has, with replacement; an image drawn w times counts w
// times. The AP of a resample is COCOeval's accumulate() on the per-image matches evaluate() already made
// (the matches of an image do not depend on which other images are in the set; coco_eval.ts
// rankDetections and precisionAtRecalls, the steps accumulate() runs), so no IoU is recomputed:
// detections of all drawn images in image order, stably sorted by score, each copy of an image adding its
// detections once more; precision made monotone from the right, sampled at the 101 recall thresholds, and
// the mean over IoU thresholds × recall thresholds × categories with ground truth — stats[0] (AP@[.5:.95],
// area all, 100 detections per image). With every weight 1 this is exactly evaluateCoco's stats[0], and
// with weights it equals evaluateCoco on a dataset where the drawn images are copied under new ids (both
// checked in test/trainer/eval/bootstrap.test.ts). Only ties in score between detections of different
// images can order differently from such a copied dataset; the precision after a tied group is the same.
//
// The interval is the 2.5–97.5 percentile of the resampled APs (the percentile bootstrap, Efron &
// Tibshirani ch. 13). It measures the noise of *which images happen to be in val*, the dominant noise on
// the few-dozen-image val splits our users have; it does not include the run-to-run noise of training.

import { precisionAtRecalls, rankDetections, type CocoEvalResult, type RankedDetections } from './coco_eval.ts';
import { seededRandom } from '../common/rng.ts';

export interface ApInterval {
  /** The full-set AP (0..1), -1 when no category has ground truth. */
  ap: number;
  /** 2.5 and 97.5 percentiles of the resampled APs (0..1); equal to ap when there is nothing to resample. */
  lo: number;
  hi: number;
}

export interface BootstrapResult extends ApInterval {
  resamples: number;
  seed: number;
  images: number;
  /** Per category id (as a string): the same interval for that category's AP; absent for a category without gt. */
  perCategory: Record<string, ApInterval>;
}

export interface BootstrapOptions {
  /** Number of resamples; 500 keeps the percentile bounds stable to a few tenths of an AP point. */
  resamples?: number;
  seed?: number;
}

export const DEFAULT_RESAMPLES = 500;
export const DEFAULT_BOOTSTRAP_SEED = 12;


/**
 * One category's AP@[.5:.95] with image weights (copies), or -1 when the weighted set has no gt:
 * accumulate()'s precision at each IoU threshold, each detection repeated as often as its image was drawn.
 */
function weightedCategoryAp(c: RankedDetections, weights: ArrayLike<number>, recThrs: readonly number[]): number {
  let npig = 0;
  for (let i = 0; i < c.numGt.length; i++) npig += weights[i] * c.numGt[i];
  if (npig === 0) return -1;
  const T = c.matched.length;
  const R = recThrs.length;
  const copies = (d: number) => weights[c.image[d]];
  let sum = 0;
  for (let t = 0; t < T; t++) {
    const { precision } = precisionAtRecalls(c.matched[t], c.ignored[t], npig, recThrs, copies);
    for (let ri = 0; ri < R; ri++) sum += precision[ri];
  }
  return sum / (T * R);
}

/** Area 'all', the last maxDets: the ranked detections stats[0] and the bootstrap read. */
function categoryEntries(r: CocoEvalResult, k: number): RankedDetections {
  const [T, , , A, M] = r.counts;
  return rankDetections(r.evalImgs, k, Math.max(0, r.params.areaRngLbl.indexOf('all')), A, r.imgIds.length, T, r.params.maxDets[M - 1]);
}

/** AP of each category and their mean (stats[0]) for the images weighted by `weights` (one per imgIds entry). */
export function weightedAp(r: CocoEvalResult, weights: ArrayLike<number>, entries?: RankedDetections[]): { ap: number; perCategory: number[] } {
  if (weights.length !== r.imgIds.length) throw new Error(`Error in weightedAp: ${weights.length} weights for ${r.imgIds.length} images`);
  const cats = entries ?? r.catIds.map((_, k) => categoryEntries(r, k));
  const perCategory = cats.map((c) => weightedCategoryAp(c, weights, r.params.recThrs));
  const defined = perCategory.filter((v) => v > -1);
  return { ap: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : -1, perCategory };
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The seeded percentile bootstrap over the evaluated images of one evaluateCoco result. */
export function bootstrapAp(r: CocoEvalResult, options: BootstrapOptions = {}): BootstrapResult {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  if (!(Number.isInteger(resamples) && resamples >= 1)) throw new Error(`Error in bootstrapAp: resamples must be a positive integer, got ${resamples}`);
  const I = r.imgIds.length;
  const cats = r.catIds.map((_, k) => categoryEntries(r, k));
  const full = weightedAp(r, new Float64Array(I).fill(1), cats);
  const random = seededRandom(seed);
  const overall: number[] = [];
  const perCat: number[][] = r.catIds.map(() => []);
  const weights = new Float64Array(I);
  for (let b = 0; b < resamples && I > 0; b++) {
    weights.fill(0);
    for (let n = 0; n < I; n++) weights[Math.floor(random() * I)]++;
    const s = weightedAp(r, weights, cats);
    if (s.ap > -1) overall.push(s.ap);
    s.perCategory.forEach((v, k) => v > -1 && perCat[k].push(v));
  }
  const interval = (ap: number, xs: number[]): ApInterval => {
    if (xs.length === 0) return { ap, lo: ap, hi: ap };
    const sorted = [...xs].sort((a, b) => a - b);
    return { ap, lo: percentile(sorted, 0.025), hi: percentile(sorted, 0.975) };
  };
  const perCategory: Record<string, ApInterval> = {};
  r.catIds.forEach((id, k) => {
    if (full.perCategory[k] > -1) perCategory[String(id)] = interval(full.perCategory[k], perCat[k]);
  });
  return { ...interval(full.ap, overall), resamples, seed, images: I, perCategory };
}
