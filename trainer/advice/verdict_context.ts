// What the verdict needs from outside the evaluation history: the objects' size at the training scale (for
// the not-learned advice) and the pre-training dataset check it must agree with or explain away.
import type { CocoDataset } from '../common/coco.ts';
import type { DatasetCheck } from './dataset_check.ts';
import type { OverfittingVerdict } from './overfitting.ts';

/**
 * Median object size (√area, px) once each image's short side is resized to `trainShortSide`, and the
 * share of objects under 32 px there (COCO's "small"). null without non-crowd objects.
 */
export function objectPxAtScale(ds: CocoDataset, trainShortSide: number): { median: number; smallShare: number } | null {
  const images = new Map(ds.images.map((im) => [im.id, im]));
  const sizes: number[] = [];
  for (const a of ds.annotations) {
    const im = images.get(a.image_id);
    if (a.iscrowd || !im || !(im.width > 0 && im.height > 0) || !(a.area > 0)) continue;
    sizes.push(Math.sqrt(a.area) * (trainShortSide / Math.min(im.width, im.height)));
  }
  if (sizes.length === 0) return null;
  sizes.sort((x, y) => x - y);
  const mid = sizes.length / 2;
  const median = sizes.length % 2 ? sizes[Math.floor(mid)] : (sizes[mid - 1] + sizes[mid]) / 2;
  return { median, smallShare: sizes.filter((s) => s < 32).length / sizes.length };
}

/**
 * No contradiction left unexplained: when the dataset check before training and the verdict disagree,
 * says which evidence overrode the check (added to the verdict's evidence and returned).
 */
export function reconcileWithDatasetCheck(verdict: OverfittingVerdict, check: DatasetCheck): string | null {
  const expectedOverfit = check.level === 'very_small' || check.level === 'small';
  const objects = `${check.objects} labelled object${check.objects === 1 ? '' : 's'}`;
  let line: string | null = null;
  if (expectedOverfit && verdict.verdict === 'enough') {
    line = `The dataset check before training expected overfitting (${objects}); this run's evidence overrode it: the model fit its training images, the train/val gap and any decline of val AP stayed within their bootstrap intervals at this schedule. A longer schedule may still show overfitting.`;
  } else if (expectedOverfit && verdict.verdict === 'not_learned') {
    line = `The dataset check before training expected overfitting (${objects}); this run can neither confirm nor refute it, because the model has not fit its training images yet.`;
  } else if (expectedOverfit && verdict.verdict === 'still_learning') {
    line = `The dataset check before training expected overfitting (${objects}); it has not shown yet because val AP was still rising — train longer before judging.`;
  } else if (check.level === 'enough' && verdict.verdict === 'too_small') {
    line = `The dataset check before training expected enough data by count (${objects}); this run's evidence overrode it: the train/val gap or the decline of val AP above is beyond its bootstrap interval (hard or inconsistent labels can make a large dataset behave like a small one).`;
  }
  if (line) verdict.evidence.push(line);
  verdict.reconciliation = line;
  return line;
}
