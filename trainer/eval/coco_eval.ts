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

interface GtEntry {
  id: number;
  area: number;
  iscrowd: boolean;
  box: number[];
  rle?: RleCounts;
}

interface DtEntry {
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

export function evaluateCoco(
  gt: CocoDataset,
  dt: CocoResult[],
  iouType: IouType,
  params?: Partial<EvalParams>,
): CocoEvalResult {
  const p: EvalParams = { ...defaultParams(), ...params };
  p.maxDets = [...p.maxDets].sort((a, b) => a - b);
  const images = new Map(gt.images.map((im) => [im.id, im]));
  const catNames = new Map(gt.categories.map((c) => [c.id, c.name]));
  const imgIds = [...new Set(p.imgIds ?? gt.images.map((im) => im.id))].sort((a, b) => a - b);
  const catIds = [...new Set(p.catIds ?? gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const imgSet = new Set(imgIds);
  const catSet = new Set(catIds);

  // ---- loadRes checks and conversions
  for (const r of dt) {
    if (!images.has(r.image_id)) throw new EvalInputError(`result references image_id ${r.image_id}, which is not in the ground truth`);
    if (!catNames.has(r.category_id)) throw new EvalInputError(`result references category_id ${r.category_id}, which is not in the ground truth`);
    if (typeof r.score !== 'number' || !Number.isFinite(r.score)) throw new EvalInputError(`result for image ${r.image_id} has no numeric score`);
    if (iouType === 'bbox' && !isNonEmptyBox(r.bbox) && !r.segmentation) throw new EvalInputError(`result for image ${r.image_id} has neither bbox nor segmentation`);
    if (iouType === 'segm' && !r.segmentation && !isNonEmptyBox(r.bbox)) throw new EvalInputError(`result for image ${r.image_id} has no segmentation`);
  }
  const boxMode = dt.length > 0 && isNonEmptyBox(dt[0].bbox);

  const key = (img: number, cat: number) => `${img}:${cat}`;
  const gts = new Map<string, GtEntry[]>();
  const dts = new Map<string, DtEntry[]>();

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
    const k = key(a.image_id, a.category_id);
    const list = gts.get(k);
    if (list) list.push(e);
    else gts.set(k, [e]);
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
    const e: DtEntry = { id: idx + 1, score: r.score, area, box, rle };
    const k = key(r.image_id, r.category_id);
    const list = dts.get(k);
    if (list) list.push(e);
    else dts.set(k, [e]);
  });

  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = catIds.length;
  const A = p.areaRng.length;
  const M = p.maxDets.length;
  const I = imgIds.length;
  const maxDetLast = p.maxDets[M - 1];

  // ---- evaluate: evalImgs[k][a][i]
  const evalImgs: (EvalImg | null)[] = new Array(K * A * I).fill(null);
  for (let ki = 0; ki < K; ki++) {
    for (let ii = 0; ii < I; ii++) {
      const k = key(imgIds[ii], catIds[ki]);
      const g = gts.get(k) ?? [];
      const dAll = dts.get(k) ?? [];
      if (g.length === 0 && dAll.length === 0) continue;
      const d = sortByScore(dAll).slice(0, maxDetLast);
      // IoU matrix [d][g] with gt in original order
      const crowd = g.map((x) => x.iscrowd);
      let ious: number[][] = [];
      if (d.length > 0 && g.length > 0) {
        ious =
          iouType === 'segm'
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
      for (let ai = 0; ai < A; ai++) {
        const [lo, hi] = p.areaRng[ai];
        const gIgn: number[] = g.map((x) => (x.iscrowd || x.area < lo || x.area > hi ? 1 : 0));
        // stable: non-ignored gt first
        const gtind = g.map((_, j) => j).sort((x, y) => gIgn[x] - gIgn[y] || x - y);
        const G = g.length;
        const D = d.length;
        const gtIg = gtind.map((j) => gIgn[j]);
        const iscrowd = gtind.map((j) => g[j].iscrowd);
        const dtMatches: number[][] = [];
        const dtIgnore: boolean[][] = [];
        for (let t = 0; t < T; t++) {
          const gtm = new Array<number>(G).fill(0);
          const dtm = new Array<number>(D).fill(0);
          const dtIg = new Array<boolean>(D).fill(false);
          if (ious.length > 0) {
            for (let di = 0; di < D; di++) {
              let iou = Math.min(p.iouThrs[t], 1 - 1e-10);
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
        evalImgs[(ki * A + ai) * I + ii] = {
          dtScores: d.map((x) => x.score),
          dtMatches,
          dtIgnore,
          numGtNotIgnored: gtIg.reduce((s, v) => s + (v === 0 ? 1 : 0), 0),
        };
      }
    }
  }

  // ---- accumulate
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const pIdx = (t: number, r: number, k: number, a: number, m: number) => (((t * R + r) * K + k) * A + a) * M + m;
  const rIdx = (t: number, k: number, a: number, m: number) => ((t * K + k) * A + a) * M + m;
  const EPS = 2.220446049250313e-16; // np.spacing(1)

  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E: EvalImg[] = [];
      for (let i = 0; i < I; i++) {
        const e = evalImgs[(k * A + a) * I + i];
        if (e) E.push(e);
      }
      if (E.length === 0) continue;
      let npig = 0;
      for (const e of E) npig += e.numGtNotIgnored;
      for (let m = 0; m < M; m++) {
        const maxDet = p.maxDets[m];
        // concatenate the first maxDet detections of every image (image order), then stable sort
        const entries: { score: number; e: EvalImg; j: number; seq: number }[] = [];
        for (const e of E) {
          const n = Math.min(maxDet, e.dtScores.length);
          for (let j = 0; j < n; j++) entries.push({ score: e.dtScores[j], e, j, seq: entries.length });
        }
        if (npig === 0) continue;
        entries.sort((x, y) => y.score - x.score || x.seq - y.seq);
        const nd = entries.length;
        for (let t = 0; t < T; t++) {
          const rc = new Float64Array(nd);
          const pr = new Array<number>(nd);
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const { e, j: dj } = entries[j];
            const ign = e.dtIgnore[t][dj];
            const matched = e.dtMatches[t][dj] !== 0;
            if (matched && !ign) tp++;
            else if (!matched && !ign) fp++;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + EPS);
          }
          recall[rIdx(t, k, a, m)] = nd ? rc[nd - 1] : 0;
          for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          // searchsorted(rc, recThrs, 'left'); entries past the end stay 0
          let pi = 0;
          for (let ri = 0; ri < R; ri++) {
            const thr = p.recThrs[ri];
            while (pi < nd && rc[pi] < thr) pi++;
            if (pi >= nd) {
              for (let rj = ri; rj < R; rj++) precision[pIdx(t, rj, k, a, m)] = 0;
              break;
            }
            precision[pIdx(t, ri, k, a, m)] = pr[pi];
          }
        }
      }
    }
  }

  // ---- summarize
  const summarizeOne = (ap: boolean, iouThr: number | null, areaLbl: string, maxDets: number): number => {
    const aind = p.areaRngLbl.indexOf(areaLbl);
    const mind = p.maxDets.indexOf(maxDets);
    if (aind < 0 || mind < 0) return -1;
    const ts = iouThr === null ? p.iouThrs.map((_, i) => i) : p.iouThrs.flatMap((v, i) => (v === iouThr ? [i] : []));
    const vals: number[] = [];
    for (const t of ts) {
      if (ap) {
        for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) vals.push(precision[pIdx(t, r, k, aind, mind)]);
      } else {
        for (let k = 0; k < K; k++) vals.push(recall[rIdx(t, k, aind, mind)]);
      }
    }
    return meanDefined(vals);
  };
  const md = p.maxDets;
  const stats = [
    summarizeOne(true, null, 'all', 100),
    summarizeOne(true, 0.5, 'all', md[2]),
    summarizeOne(true, 0.75, 'all', md[2]),
    summarizeOne(true, null, 'small', md[2]),
    summarizeOne(true, null, 'medium', md[2]),
    summarizeOne(true, null, 'large', md[2]),
    summarizeOne(false, null, 'all', md[0]),
    summarizeOne(false, null, 'all', md[1]),
    summarizeOne(false, null, 'all', md[2]),
    summarizeOne(false, null, 'small', md[2]),
    summarizeOne(false, null, 'medium', md[2]),
    summarizeOne(false, null, 'large', md[2]),
  ];

  const aAll = Math.max(0, p.areaRngLbl.indexOf('all'));
  const mLast = M - 1;
  const perCategory: PerCategoryAp[] = catIds.map((catId, k) => {
    const apAt = (ts: number[]) => {
      const vals: number[] = [];
      for (const t of ts) for (let r = 0; r < R; r++) vals.push(precision[pIdx(t, r, k, aAll, mLast)]);
      return meanDefined(vals);
    };
    let numGt = 0;
    for (let i = 0; i < I; i++) {
      for (const g of gts.get(key(imgIds[i], catId)) ?? []) if (!g.iscrowd) numGt++;
    }
    return {
      categoryId: catId,
      name: catNames.get(catId) ?? String(catId),
      ap: apAt(p.iouThrs.map((_, i) => i)),
      ap50: apAt(p.iouThrs.flatMap((v, i) => (v === 0.5 ? [i] : []))),
      ap75: apAt(p.iouThrs.flatMap((v, i) => (v === 0.75 ? [i] : []))),
      numGt,
    };
  });

  return { iouType, stats, perCategory, precision, recall, counts: [T, R, K, A, M], params: p, imgIds, catIds, evalImgs };
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
