// COCO detection / instance-segmentation evaluation with the exact semantics of pycocotools' COCOeval
// (evaluate → accumulate → summarize) and COCO.loadRes, re-implemented in TypeScript (no Python here).
//
// What is reproduced, and where it matters:
//  * loadRes: result ids are index+1, iscrowd 0; if the FIRST result has a non-empty bbox, every result's
//    area is bbox w*h (even for segm evaluation — pycocotools does this; detectron2 strips boxes to get
//    mask areas instead: pass `dtAreaFrom: 'mask'` for that convention); otherwise area = mask area and a
//    missing bbox comes from the mask. Results on images not in the gt are an error (loadRes asserts).
//  * gt `ignore` = iscrowd; gt area-range test uses the annotation's own `area` field; gt ordered with
//    non-ignored first (stable); dt sorted by score with a stable sort (numpy mergesort), top maxDets[-1]
//    per image and category before IoUs are computed.
//  * greedy matching per IoU threshold with the crowd rules (a crowd gt can absorb several detections,
//    IoU with crowd = intersection / area(dt), a match to an ignored gt makes the detection ignored, and
//    the search stops at the first ignored gt once a regular gt has matched); unmatched detections outside
//    the area range are ignored. A matched gt whose id is 0 reads as "unmatched", as in numpy.
//  * accumulate: per category / area / maxDets, detections of all images are concatenated in image-id
//    order, stably sorted by score, precision = tp / (tp + fp + eps), made monotone from the right, and
//    sampled at recall thresholds with searchsorted(side='left'); -1 where no non-ignored gt exists.
//  * summarize: the mean over entries > -1 (numpy's pairwise summation, so even the last bits agree
//    for arrays up to numpy's 8192-element buffer), printed with Python's round-half-even formatting.

import type { CocoAnnotation, CocoDataset, CocoResult, CocoSegmentation } from '../common/coco.ts';
import {
  bboxCounts,
  bboxIou,
  countsArea,
  countsIouMatrix,
  countsToBbox,
  segmentationToCounts,
  type RleCounts,
} from '../common/rle.ts';

export type IouType = 'bbox' | 'segm';

export interface EvalParams {
  iouThrs: number[];
  recThrs: number[];
  maxDets: number[];
  areaRng: [number, number][];
  areaRngLbl: string[];
  imgIds?: number[];
  catIds?: number[];
  /** 'loadRes' (default, pycocotools): area = bbox w*h whenever results carry boxes. 'mask': mask area in segm mode. */
  dtAreaFrom?: 'loadRes' | 'mask';
}

export interface PerCategoryAp {
  categoryId: number;
  name: string;
  /** AP@[.50:.95], all areas, maxDets 100; -1 when the category has no (non-crowd) gt. */
  ap: number;
  ap50: number;
  ap75: number;
  /** Non-crowd gt instances of the category in the evaluated images. */
  numGt: number;
}

export interface CocoEvalResult {
  iouType: IouType;
  /** The 12 numbers in COCOeval.summarize() order. */
  stats: number[];
  perCategory: PerCategoryAp[];
  /** precision[T][R][K][A][M] flattened in that (C) order; -1 where undefined. */
  precision: Float64Array;
  /** recall[T][K][A][M] flattened; -1 where undefined. */
  recall: Float64Array;
  /** [T, R, K, A, M] */
  counts: [number, number, number, number, number];
  params: EvalParams;
  imgIds: number[];
  catIds: number[];
  /** evaluate()'s per-image matches, evalImgs[(k * A + a) * I + i] (null: no gt and no detection), for resampling. */
  evalImgs: (EvalImg | null)[];
}

export class EvalInputError extends Error {
  override name = 'EvalInputError';
}

/** numpy.linspace(start, stop, num): start + i*step, last element exactly stop. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

export function defaultParams(): EvalParams {
  return {
    iouThrs: linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1),
    recThrs: linspace(0, 1, Math.round(1 / 0.01) + 1),
    maxDets: [1, 10, 100],
    areaRng: [
      [0, 1e5 ** 2],
      [0, 32 ** 2],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e5 ** 2],
    ],
    areaRngLbl: ['all', 'small', 'medium', 'large'],
  };
}

// numpy's float64 add.reduce on a contiguous array: pairwise summation with 8 accumulators, block 128.
function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** np.mean(s[s > -1]), or -1 when nothing is defined. */
export function meanDefined(values: ArrayLike<number>): number {
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] > -1) kept.push(values[i]);
  if (kept.length === 0) return -1;
  return pairwiseSum(kept, 0, kept.length) / kept.length;
}

/** A gt annotation as evaluate() reads it. */
export interface GtEntry {
  id: number;
  area: number;
  iscrowd: boolean;
  box: number[];
  rle?: RleCounts;
}

/** A detection after loadRes (id = index + 1). */
export interface DtEntry {
  id: number;
  score: number;
  area: number;
  box: number[];
  rle?: RleCounts;
}

/** One image × category × area range after evaluate(): what accumulate() reads (and the bootstrap resamples). */
export interface EvalImg {
  dtScores: number[];
  /** [T][D]: matched gt id (0 = unmatched) */
  dtMatches: number[][];
  dtIgnore: boolean[][];
  numGtNotIgnored: number;
}

/** stable argsort by descending score (numpy argsort(-s, kind='mergesort')) */
function sortByScore<T extends { score: number }>(xs: T[]): T[] {
  return xs
    .map((x, i) => ({ x, i }))
    .sort((a, b) => b.x.score - a.x.score || a.i - b.i)
    .map((e) => e.x);
}

function isNonEmptyBox(b: unknown): b is number[] {
  return Array.isArray(b) && b.length > 0;
}

/** What evaluate() reads: loadRes's checks and conversions done, gt and dt grouped per image × category. */
export interface EvalSetup {
  iouType: IouType;
  params: EvalParams;
  imgIds: number[];
  catIds: number[];
  catNames: Map<number, string>;
  /** By `${imageId}:${categoryId}`. */
  gts: Map<string, GtEntry[]>;
  dts: Map<string, DtEntry[]>;
}

const key = (img: number, cat: number) => `${img}:${cat}`;

/**
 * COCOeval's params and _prepare() with COCO.loadRes folded in: checks every result against the gt,
 * converts gt and dt to boxes / RLE, and groups them per image × category.
 */
export function prepare(gt: CocoDataset, dt: CocoResult[], iouType: IouType, params?: Partial<EvalParams>): EvalSetup {
  const p: EvalParams = { ...defaultParams(), ...params };
  p.maxDets = [...p.maxDets].sort((a, b) => a - b);
  const images = new Map(gt.images.map((im) => [im.id, im]));
  const catNames = new Map(gt.categories.map((c) => [c.id, c.name]));
  const imgIds = [...new Set(p.imgIds ?? gt.images.map((im) => im.id))].sort((a, b) => a - b);
  const catIds = [...new Set(p.catIds ?? gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const imgSet = new Set(imgIds);
  const catSet = new Set(catIds);

  // loadRes checks
  for (const r of dt) {
    if (!images.has(r.image_id)) throw new EvalInputError(`result references image_id ${r.image_id}, which is not in the ground truth`);
    if (!catNames.has(r.category_id)) throw new EvalInputError(`result references category_id ${r.category_id}, which is not in the ground truth`);
    if (typeof r.score !== 'number' || !Number.isFinite(r.score)) throw new EvalInputError(`result for image ${r.image_id} has no numeric score`);
    if (iouType === 'bbox' && !isNonEmptyBox(r.bbox) && !r.segmentation) throw new EvalInputError(`result for image ${r.image_id} has neither bbox nor segmentation`);
    if (iouType === 'segm' && !r.segmentation && !isNonEmptyBox(r.bbox)) throw new EvalInputError(`result for image ${r.image_id} has no segmentation`);
  }
  const boxMode = dt.length > 0 && isNonEmptyBox(dt[0].bbox);

  const gts = new Map<string, GtEntry[]>();
  const dts = new Map<string, DtEntry[]>();
  const push = <E>(m: Map<string, E[]>, k: string, e: E) => {
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  };
  const imageSize = (imageId: number): [number, number] => {
    const im = images.get(imageId)!;
    if (!(im.height > 0 && im.width > 0)) throw new EvalInputError(`image ${imageId} has no height/width, needed for segm evaluation`);
    return [im.height, im.width];
  };

  for (const a of gt.annotations as CocoAnnotation[]) {
    if (!imgSet.has(a.image_id) || !catSet.has(a.category_id)) continue;
    const e: GtEntry = { id: a.id, area: a.area, iscrowd: Boolean(a.iscrowd), box: a.bbox };
    if (iouType === 'segm') {
      if (!a.segmentation) throw new EvalInputError(`annotation ${a.id} has no segmentation, needed for segm evaluation`);
      const [h, w] = imageSize(a.image_id);
      e.rle = segmentationToCounts(a.segmentation, h, w);
    }
    push(gts, key(a.image_id, a.category_id), e);
  }

  dt.forEach((r, idx) => {
    if (!imgSet.has(r.image_id) || !catSet.has(r.category_id)) return;
    let rle: RleCounts | undefined;
    let box = r.bbox as number[] | undefined;
    const needMask = iouType === 'segm' || !boxMode;
    if (needMask) {
      const [h, w] = imageSize(r.image_id);
      if (r.segmentation) rle = segmentationToCounts(r.segmentation as CocoSegmentation, h, w);
      else {
        const b = r.bbox;
        rle = { h, w, counts: bboxCounts(b, h, w) }; // loadRes turns a box into a 4-point polygon
      }
    }
    let area: number;
    if (boxMode && isNonEmptyBox(r.bbox) && !(iouType === 'segm' && p.dtAreaFrom === 'mask')) area = r.bbox[2] * r.bbox[3];
    else area = countsArea(rle!.counts);
    if (!isNonEmptyBox(box)) box = countsToBbox(rle!);
    push(dts, key(r.image_id, r.category_id), { id: idx + 1, score: r.score, area, box, rle } satisfies DtEntry);
  });

  return { iouType, params: p, imgIds, catIds, catNames, gts, dts };
}

/** IoU matrix [d][g] (gt in their original order) for the box or mask overlaps, crowd-aware. */
function computeIou(iouType: IouType, d: DtEntry[], g: GtEntry[]): number[][] {
  if (d.length === 0 || g.length === 0) return [];
  const crowd = g.map((x) => x.iscrowd);
  return iouType === 'segm'
    ? countsIouMatrix(
        d.map((x) => x.rle!),
        g.map((x) => x.rle!),
        crowd,
        d.map((x) => countsToBbox(x.rle!)),
        g.map((x) => countsToBbox(x.rle!)),
      )
    : bboxIou(
        d.map((x) => x.box),
        g.map((x) => x.box),
        crowd,
      );
}

/**
 * COCOeval.evaluateImg for one image × category × area range: greedy matching of the detections
 * `d` (score order, already cut to maxDets[-1]) to the gt `g` at every IoU threshold.
 */
function evaluateImg(d: DtEntry[], g: GtEntry[], ious: number[][], [lo, hi]: [number, number], iouThrs: readonly number[]): EvalImg {
  const gIgn: number[] = g.map((x) => (x.iscrowd || x.area < lo || x.area > hi ? 1 : 0));
  // stable: non-ignored gt first
  const gtind = g.map((_, j) => j).sort((x, y) => gIgn[x] - gIgn[y] || x - y);
  const G = g.length;
  const D = d.length;
  const gtIg = gtind.map((j) => gIgn[j]);
  const iscrowd = gtind.map((j) => g[j].iscrowd);
  const dtMatches: number[][] = [];
  const dtIgnore: boolean[][] = [];
  for (let t = 0; t < iouThrs.length; t++) {
    const gtm = new Array<number>(G).fill(0);
    const dtm = new Array<number>(D).fill(0);
    const dtIg = new Array<boolean>(D).fill(false);
    if (ious.length > 0) {
      for (let di = 0; di < D; di++) {
        let iou = Math.min(iouThrs[t], 1 - 1e-10);
        let m = -1;
        const row = ious[di];
        for (let gi = 0; gi < G; gi++) {
          if (gtm[gi] > 0 && !iscrowd[gi]) continue;
          if (m > -1 && gtIg[m] === 0 && gtIg[gi] === 1) break;
          const v = row[gtind[gi]];
          if (v < iou) continue;
          iou = v;
          m = gi;
        }
        if (m === -1) continue;
        dtIg[di] = gtIg[m] === 1;
        dtm[di] = g[gtind[m]].id;
        gtm[m] = d[di].id;
      }
    }
    for (let di = 0; di < D; di++) {
      const outside = d[di].area < lo || d[di].area > hi;
      if (dtm[di] === 0 && outside) dtIg[di] = true;
    }
    dtMatches.push(dtm);
    dtIgnore.push(dtIg);
  }
  return {
    dtScores: d.map((x) => x.score),
    dtMatches,
    dtIgnore,
    numGtNotIgnored: gtIg.reduce((s, v) => s + (v === 0 ? 1 : 0), 0),
  };
}

/** COCOeval.evaluate(): evalImgs[(k * A + a) * I + i] for every category × area range × image (null: no gt and no detection). */
export function evaluate(s: EvalSetup): (EvalImg | null)[] {
  const p = s.params;
  const K = s.catIds.length, A = p.areaRng.length, I = s.imgIds.length;
  const maxDetLast = p.maxDets[p.maxDets.length - 1];
  const evalImgs: (EvalImg | null)[] = new Array(K * A * I).fill(null);
  for (let ki = 0; ki < K; ki++) {
    for (let ii = 0; ii < I; ii++) {
      const k = key(s.imgIds[ii], s.catIds[ki]);
      const g = s.gts.get(k) ?? [];
      const dAll = s.dts.get(k) ?? [];
      if (g.length === 0 && dAll.length === 0) continue;
      const d = sortByScore(dAll).slice(0, maxDetLast);
      const ious = computeIou(s.iouType, d, g);
      for (let ai = 0; ai < A; ai++) evalImgs[(ki * A + ai) * I + ii] = evaluateImg(d, g, ious, p.areaRng[ai], p.iouThrs);
    }
  }
  return evalImgs;
}

/** The detections of one category × area range over the images, in accumulate()'s order, as flags per IoU threshold. */
export interface RankedDetections {
  /** [n] index (into imgIds) of each detection's image. */
  image: Int32Array;
  /** [T][n] 1 where the detection matched a gt at threshold t. */
  matched: Uint8Array[];
  /** [T][n] 1 where it is ignored at threshold t. */
  ignored: Uint8Array[];
  /** [I] non-ignored gt of each image (0 for an image without an evalImg). */
  numGt: Float64Array;
}

/**
 * accumulate()'s gathering step: the first `maxDet` detections of every image of category k and area
 * range a, concatenated in image order and stably sorted by score (numpy mergesort).
 */
export function rankDetections(evalImgs: readonly (EvalImg | null)[], k: number, a: number, A: number, I: number, T: number, maxDet: number): RankedDetections {
  const list: { score: number; i: number; e: EvalImg; j: number; seq: number }[] = [];
  const numGt = new Float64Array(I);
  for (let i = 0; i < I; i++) {
    const e = evalImgs[(k * A + a) * I + i];
    if (!e) continue;
    numGt[i] = e.numGtNotIgnored;
    const n = Math.min(maxDet, e.dtScores.length);
    for (let j = 0; j < n; j++) list.push({ score: e.dtScores[j], i, e, j, seq: list.length });
  }
  list.sort((x, y) => y.score - x.score || x.seq - y.seq);
  const matched: Uint8Array[] = [];
  const ignored: Uint8Array[] = [];
  for (let t = 0; t < T; t++) {
    matched.push(Uint8Array.from(list, (d) => (d.e.dtMatches[t][d.j] !== 0 ? 1 : 0)));
    ignored.push(Uint8Array.from(list, (d) => (d.e.dtIgnore[t][d.j] ? 1 : 0)));
  }
  return { image: Int32Array.from(list, (d) => d.i), matched, ignored, numGt };
}

const EPS = 2.220446049250313e-16; // np.spacing(1)

/**
 * accumulate()'s step for one ranked list at one IoU threshold: cumulative tp / fp over the non-ignored
 * detections, precision = tp / (tp + fp + eps) made monotone from the right, sampled at the recall
 * thresholds with searchsorted(side='left') (0 past the last recall reached). `copies[d]` repeats
 * detection d in place (the bootstrap's image weights; 1 when absent). npig: non-ignored gt, > 0.
 */
export function precisionAtRecalls(matched: Uint8Array, ignored: Uint8Array, npig: number, recThrs: readonly number[], copies?: (d: number) => number): { precision: Float64Array; recall: number } {
  const n = matched.length;
  let nd = 0;
  if (copies) for (let d = 0; d < n; d++) nd += copies(d);
  else nd = n;
  const rc = new Float64Array(nd);
  const pr = new Float64Array(nd);
  let tp = 0;
  let fp = 0;
  for (let d = 0, j = 0; d < n; d++) {
    const w = copies ? copies(d) : 1;
    for (let c = 0; c < w; c++, j++) {
      if (!ignored[d]) {
        if (matched[d]) tp++;
        else fp++;
      }
      rc[j] = tp / npig;
      pr[j] = tp / (fp + tp + EPS);
    }
  }
  for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
  const precision = new Float64Array(recThrs.length);
  let pi = 0;
  for (let ri = 0; ri < recThrs.length; ri++) {
    while (pi < nd && rc[pi] < recThrs[ri]) pi++;
    if (pi >= nd) break;
    precision[ri] = pr[pi];
  }
  return { precision, recall: nd ? rc[nd - 1] : 0 };
}

/** COCOeval.accumulate(): precision[T][R][K][A][M] and recall[T][K][A][M], -1 where no non-ignored gt exists. */
export function accumulate(evalImgs: readonly (EvalImg | null)[], p: EvalParams, K: number, I: number): { precision: Float64Array; recall: Float64Array; counts: [number, number, number, number, number] } {
  const T = p.iouThrs.length, R = p.recThrs.length, A = p.areaRng.length, M = p.maxDets.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      let npig = 0, any = false;
      for (let i = 0; i < I; i++) {
        const e = evalImgs[(k * A + a) * I + i];
        if (e) { npig += e.numGtNotIgnored; any = true; }
      }
      if (!any || npig === 0) continue;
      for (let m = 0; m < M; m++) {
        const ranked = rankDetections(evalImgs, k, a, A, I, T, p.maxDets[m]);
        for (let t = 0; t < T; t++) {
          const r = precisionAtRecalls(ranked.matched[t], ranked.ignored[t], npig, p.recThrs);
          recall[((t * K + k) * A + a) * M + m] = r.recall;
          for (let ri = 0; ri < R; ri++) precision[(((t * R + ri) * K + k) * A + a) * M + m] = r.precision[ri];
        }
      }
    }
  }
  return { precision, recall, counts: [T, R, K, A, M] };
}

/** One line of summarize(): the mean of precision (ap) or recall over the defined entries at an IoU threshold (null: all), area range and maxDets. */
function summarizeOne(acc: { precision: Float64Array; recall: Float64Array }, p: EvalParams, K: number, ap: boolean, iouThr: number | null, areaLbl: string, maxDets: number): number {
  const R = p.recThrs.length, A = p.areaRng.length, M = p.maxDets.length;
  const aind = p.areaRngLbl.indexOf(areaLbl);
  const mind = p.maxDets.indexOf(maxDets);
  if (aind < 0 || mind < 0) return -1;
  const ts = iouThr === null ? p.iouThrs.map((_, i) => i) : p.iouThrs.flatMap((v, i) => (v === iouThr ? [i] : []));
  const vals: number[] = [];
  for (const t of ts) {
    if (ap) {
      for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) vals.push(acc.precision[(((t * R + r) * K + k) * A + aind) * M + mind]);
    } else {
      for (let k = 0; k < K; k++) vals.push(acc.recall[((t * K + k) * A + aind) * M + mind]);
    }
  }
  return meanDefined(vals);
}

/** COCOeval.summarize(): the 12 numbers (AP, AP50, AP75, AP S/M/L, AR@1/10/100, AR S/M/L). */
export function summarize(acc: { precision: Float64Array; recall: Float64Array }, p: EvalParams, K: number): number[] {
  const md = p.maxDets;
  const one = (ap: boolean, iouThr: number | null, areaLbl: string, maxDets: number) => summarizeOne(acc, p, K, ap, iouThr, areaLbl, maxDets);
  return [
    one(true, null, 'all', 100),
    one(true, 0.5, 'all', md[2]),
    one(true, 0.75, 'all', md[2]),
    one(true, null, 'small', md[2]),
    one(true, null, 'medium', md[2]),
    one(true, null, 'large', md[2]),
    one(false, null, 'all', md[0]),
    one(false, null, 'all', md[1]),
    one(false, null, 'all', md[2]),
    one(false, null, 'small', md[2]),
    one(false, null, 'medium', md[2]),
    one(false, null, 'large', md[2]),
  ];
}

/** Per category: AP@[.5:.95], AP50 and AP75 (area all, the last maxDets) and its non-crowd gt count. */
export function perCategoryAp(s: EvalSetup, precision: Float64Array): PerCategoryAp[] {
  const p = s.params;
  const R = p.recThrs.length, K = s.catIds.length, A = p.areaRng.length, M = p.maxDets.length;
  const aAll = Math.max(0, p.areaRngLbl.indexOf('all'));
  const mLast = M - 1;
  return s.catIds.map((catId, k) => {
    const apAt = (ts: number[]) => {
      const vals: number[] = [];
      for (const t of ts) for (let r = 0; r < R; r++) vals.push(precision[(((t * R + r) * K + k) * A + aAll) * M + mLast]);
      return meanDefined(vals);
    };
    let numGt = 0;
    for (const imgId of s.imgIds) {
      for (const g of s.gts.get(key(imgId, catId)) ?? []) if (!g.iscrowd) numGt++;
    }
    return {
      categoryId: catId,
      name: s.catNames.get(catId) ?? String(catId),
      ap: apAt(p.iouThrs.map((_, i) => i)),
      ap50: apAt(p.iouThrs.flatMap((v, i) => (v === 0.5 ? [i] : []))),
      ap75: apAt(p.iouThrs.flatMap((v, i) => (v === 0.75 ? [i] : []))),
      numGt,
    };
  });
}

/** pycocotools' loadRes + COCOeval evaluate() → accumulate() → summarize(), and the per-class table. */
export function evaluateCoco(gt: CocoDataset, dt: CocoResult[], iouType: IouType, params?: Partial<EvalParams>): CocoEvalResult {
  const setup = prepare(gt, dt, iouType, params);
  const K = setup.catIds.length, I = setup.imgIds.length;
  const evalImgs = evaluate(setup);
  const acc = accumulate(evalImgs, setup.params, K, I);
  return {
    iouType,
    stats: summarize(acc, setup.params, K),
    perCategory: perCategoryAp(setup, acc.precision),
    precision: acc.precision,
    recall: acc.recall,
    counts: acc.counts,
    params: setup.params,
    imgIds: setup.imgIds,
    catIds: setup.catIds,
    evalImgs,
  };
}

// ---------------------------------------------------------------- printing

/** Python's '{:0.3f}' (round half to even on the exact binary value). */
export function formatFixed3(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const neg = x < 0 || Object.is(x, -0);
  const s = Math.abs(x).toFixed(100); // exact for |x| >= 2^-47; smaller values round to 0.000 anyway
  const [intPart, frac] = s.split('.');
  let kept = BigInt(intPart + frac.slice(0, 3));
  const rest = frac.slice(3);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  if (first > 5 || (first === 5 && tail) || (first === 5 && !tail && kept % 2n === 1n)) kept += 1n;
  const digits = kept.toString().padStart(4, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -3)}.${digits.slice(-3)}`;
}

/** The 12 lines of COCOeval.summarize(), byte for byte. */
export function formatSummary(stats: readonly number[], _iouType: IouType = 'bbox', maxDets: readonly number[] = [1, 10, 100]): string {
  const rows: [boolean, string | null, string, number][] = [
    [true, null, 'all', 100],
    [true, '0.50', 'all', maxDets[2]],
    [true, '0.75', 'all', maxDets[2]],
    [true, null, 'small', maxDets[2]],
    [true, null, 'medium', maxDets[2]],
    [true, null, 'large', maxDets[2]],
    [false, null, 'all', maxDets[0]],
    [false, null, 'all', maxDets[1]],
    [false, null, 'all', maxDets[2]],
    [false, null, 'small', maxDets[2]],
    [false, null, 'medium', maxDets[2]],
    [false, null, 'large', maxDets[2]],
  ];
  return rows
    .map(([ap, iou, area, md], i) => {
      const title = (ap ? 'Average Precision' : 'Average Recall').padEnd(18);
      const type = ap ? '(AP)' : '(AR)';
      const iouStr = (iou ?? '0.50:0.95').padEnd(9);
      return ` ${title} ${type} @[ IoU=${iouStr} | area=${area.padStart(6)} | maxDets=${String(md).padStart(3)} ] = ${formatFixed3(stats[i])}`;
    })
    .join('\n');
}

/** A plain per-class table: name, AP, AP50, AP75, gt count (AP shown as '-' when undefined). */
export function formatPerCategory(rows: readonly PerCategoryAp[]): string {
  const nameW = Math.max(8, ...rows.map((r) => r.name.length));
  const f = (v: number) => (v < 0 ? '-' : formatFixed3(v)).padStart(6);
  const head = `${'category'.padEnd(nameW)}  ${'AP'.padStart(6)}  ${'AP50'.padStart(6)}  ${'AP75'.padStart(6)}  ${'gt'.padStart(6)}`;
  const lines = rows.map((r) => `${r.name.padEnd(nameW)}  ${f(r.ap)}  ${f(r.ap50)}  ${f(r.ap75)}  ${String(r.numGt).padStart(6)}`);
  return [head, ...lines].join('\n');
}
