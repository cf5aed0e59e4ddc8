// COCO mask run-length encoding, written from scratch in plain TypeScript.
//
// Why no dependency: there is no RLE package on npm that reproduces pycocotools bit for bit (the
// polygon rasteriser `frPoly` in particular has its own rounding rules, and the string codec its own
// LEB128-like alphabet), and our evaluator must agree with COCOeval to the pixel. So this file is an
// independent re-implementation of the semantics of cocoapi's `common/maskApi.c` (Dollár & Lin, BSD):
//
//   * A mask of size h×w is flattened in column-major (Fortran) order: pixel (x, y) is index x*h + y.
//   * `counts` are alternating run lengths starting with a run of ZEROS (possibly of length 0).
//   * The compressed string stores each count (minus counts[i-2] when i > 2) as a sign-extended,
//     little-endian sequence of 5-bit groups; each char is 48 + (group | 0x20 if more groups follow).
//   * `rleFromPolygons` upsamples vertices ×5, walks every edge with C-style truncating rounding, keeps
//     only the crossings of pixel-column centres, turns them into sorted flat indices and differences
//     them into runs (duplicates cancel); several rings are then OR-merged.
//
// Edge-case behaviour that differs from pycocotools is marked "deviation" below (only where the C code
// would crash or read uninitialised memory).

import type { CocoSegmentation, Rle } from './coco.ts';

export type { Rle };

/** Decoded RLE: size and numeric run lengths (zeros first). The evaluator works on this form. */
export interface RleCounts {
  h: number;
  w: number;
  counts: number[];
}

const TWO32 = 4294967296;
const toUint32 = (x: number): number => ((x % TWO32) + TWO32) % TWO32;

// ---------------------------------------------------------------- string codec

/** Encode run lengths as pycocotools' compressed string (rleToString). */
export function compressCounts(runs: readonly number[]): string {
  const out: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    let x = runs[i];
    if (i > 2) x -= runs[i - 2];
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32; // low 5 bits (two's complement semantics for negatives)
      x = Math.floor(x / 32); // arithmetic shift right by 5
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out.push(c + 48);
    }
  }
  // String.fromCharCode with a huge spread can overflow the stack; chunk it.
  let s = '';
  for (let i = 0; i < out.length; i += 8192) s += String.fromCharCode(...out.slice(i, i + 8192));
  return s;
}

/** Decode a compressed counts string into run lengths (rleFrString). */
export function decompressCounts(s: string): number[] {
  const cnts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new Error('truncated RLE counts string');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`invalid character in RLE counts string at ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k); // sign-extend
    }
    const m = cnts.length;
    if (m > 2) x += cnts[m - 2];
    cnts.push(toUint32(x));
  }
  return cnts;
}

export function decodeRle(rle: Rle): RleCounts {
  return { h: rle.size[0], w: rle.size[1], counts: decompressCounts(rle.counts) };
}

export function encodeRle(r: RleCounts): Rle {
  return { size: [r.h, r.w], counts: compressCounts(r.counts) };
}

// ---------------------------------------------------------------- masks

/** Encode a row-major h×w mask (any non-zero value counts as foreground) as compressed RLE. */
export function rleFromMask(mask: Uint8Array | ArrayLike<number>, h: number, w: number): Rle {
  if (mask.length !== h * w) throw new Error(`mask has ${mask.length} values, expected ${h}×${w}=${h * w}`);
  const counts: number[] = [];
  let prev = 0;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = mask[y * w + x] ? 1 : 0;
      if (v !== prev) {
        counts.push(run);
        run = 0;
        prev = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [h, w], counts: compressCounts(counts) };
}

/**
 * rleFromMask of an h×w mask that is 0 except inside a window: `data` holds its rows × cols values
 * (row-major) with top-left (x0, y0). Same output, in O(window + w) instead of O(h·w): what pasting
 * detections into large photos needs.
 */
export function rleFromWindow(data: Uint8Array, x0: number, y0: number, rows: number, cols: number, h: number, w: number): Rle {
  if (x0 < 0 || y0 < 0 || x0 + cols > w || y0 + rows > h || data.length !== rows * cols) {
    throw new Error(`window ${cols}×${rows} at (${x0}, ${y0}) does not fit a ${w}×${h} mask with ${data.length} values`);
  }
  const counts: number[] = [];
  let prev = 0;
  let run = 0;
  const add = (v: number, n: number) => {
    if (n <= 0) return;
    if (v !== prev) {
      counts.push(run);
      run = 0;
      prev = v;
    }
    run += n;
  };
  add(0, x0 * h);
  for (let x = 0; x < cols; x++) {
    add(0, y0);
    for (let y = 0; y < rows; y++) add(data[y * cols + x] ? 1 : 0, 1);
    add(0, h - y0 - rows);
  }
  add(0, (w - x0 - cols) * h);
  counts.push(run);
  return { size: [h, w], counts: compressCounts(counts) };
}

/** Decode to a row-major h×w mask of 0/1. */
export function rleToMask(rle: Rle | RleCounts): Uint8Array {
  const r = 'size' in rle ? decodeRle(rle) : rle;
  const { h, w } = r;
  const mask = new Uint8Array(h * w);
  let total = 0;
  for (const c of r.counts) total += c;
  if (total > h * w) throw new Error(`invalid RLE: counts cover ${total} pixels but the mask has ${h * w}`);
  let idx = 0; // column-major flat index
  let v = 0;
  for (const c of r.counts) {
    if (v) {
      for (let k = 0; k < c; k++) {
        const i = idx + k;
        const x = Math.floor(i / h);
        mask[(i - x * h) * w + x] = 1;
      }
    }
    idx += c;
    v = 1 - v;
  }
  return mask;
}

/** Uncompressed RLE ({ size, counts: number[] }) → compressed (frUncompressedRLE). */
export function rleFromUncompressed(u: { size: [number, number]; counts: readonly number[] }): Rle {
  return { size: [u.size[0], u.size[1]], counts: compressCounts(u.counts.map(toUint32)) };
}

// ---------------------------------------------------------------- polygons and boxes

/** Rasterise one ring (flat x,y list) exactly as maskApi.c rleFrPoly. Returns run counts. */
export function polygonCounts(xy: readonly number[], h: number, w: number): number[] {
  const k = Math.floor(xy.length / 2);
  const scale = 5;
  // 1. upsample and get discrete points densely along the entire boundary
  const x = new Array<number>(k + 1);
  const y = new Array<number>(k + 1);
  for (let j = 0; j < k; j++) x[j] = Math.trunc(scale * xy[j * 2] + 0.5);
  for (let j = 0; j < k; j++) y[j] = Math.trunc(scale * xy[j * 2 + 1] + 0.5);
  x[k] = x[0];
  y[k] = y[0];
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j];
    let xe = x[j + 1];
    let ys = y[j];
    let ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      let t = xs;
      xs = xe;
      xe = t;
      t = ys;
      ys = ye;
      ye = t;
    }
    // deviation: for a zero-length edge C computes 0/0 and casts NaN to int; that point can never sit
    // on a column change (its neighbours share its x), so any finite value gives the same result.
    let s: number;
    if (dx >= dy) s = dx === 0 ? 0 : (ye - ys) / dx;
    else s = (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(Math.trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(Math.trunc(xs + s * t + 0.5));
      }
    }
  }
  // 2. get points along the y-boundary and downsample
  const a: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    a.push(toUint32(xd * h + yd));
  }
  // 3. RLE from the sorted boundary indices; a zero difference (repeated index) cancels the pair
  a.push(h * w);
  a.sort((p, q) => p - q);
  let prev = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j];
    a[j] -= prev;
    prev = t;
  }
  const b: number[] = [a[0]];
  let j = 1;
  while (j < a.length) {
    if (a[j] > 0) b.push(a[j++]);
    else {
      j++;
      if (j < a.length) b[b.length - 1] += a[j++];
    }
  }
  return b;
}

/** Polygon rings (COCO format, flat x,y lists) → one compressed RLE: frPoly on each ring, then union. */
export function rleFromPolygons(rings: readonly (readonly number[])[], h: number, w: number): Rle {
  if (rings.length === 0) return { size: [h, w], counts: compressCounts([h * w]) }; // deviation: pycocotools raises
  const parts = rings.map((r) => ({ h, w, counts: polygonCounts(r, h, w) }));
  return encodeRle(mergeCounts(parts, false));
}

/** Box [x, y, w, h] → RLE exactly as rleFrBbox (a 4-vertex polygon through frPoly). */
export function bboxCounts(bb: readonly number[], h: number, w: number): number[] {
  const xs = bb[0];
  const xe = xs + bb[2];
  const ys = bb[1];
  const ye = ys + bb[3];
  return polygonCounts([xs, ys, xs, ye, xe, ye, xe, ys], h, w);
}

export function rleFromBbox(bbox: readonly number[], h: number, w: number): Rle {
  return { size: [h, w], counts: compressCounts(bboxCounts(bbox, h, w)) };
}

// ---------------------------------------------------------------- measures

export function countsArea(counts: readonly number[]): number {
  let a = 0;
  for (let j = 1; j < counts.length; j += 2) a += counts[j];
  return a;
}

/** Number of foreground pixels (rleArea). */
export function rleArea(rle: Rle | RleCounts): number {
  return countsArea('size' in rle ? decompressCounts(rle.counts) : rle.counts);
}

/**
 * Tight box [x, y, w, h] of the foreground, as rleToBbox in the pycocotools published on PyPI
 * (ppwwyyxx/cocoapi, which skips zero-length foreground runs; the older cocodataset version mis-read them).
 * A foreground run spanning several columns makes the box span every row. Empty mask → [0, 0, 0, 0].
 */
export function countsToBbox(r: RleCounts): [number, number, number, number] {
  const { h, w } = r;
  const m = Math.floor(r.counts.length / 2) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  for (let j = 0; j < m; j++) {
    const start = cc;
    cc += r.counts[j];
    if (j % 2 === 0 || r.counts[j] === 0) continue;
    const yStart = start % h;
    const xStart = (start - yStart) / h;
    const yEnd = (cc - 1) % h;
    const xEnd = (cc - 1 - yEnd) / h;
    xs = Math.min(xs, xStart);
    xe = Math.max(xe, xEnd);
    if (xStart < xEnd) {
      ys = 0;
      ye = h - 1;
    } else {
      ys = Math.min(ys, yStart);
      ye = Math.max(ye, yEnd);
    }
  }
  // unsigned arithmetic as in C: with no foreground run at all, xe - xs + 1 wraps
  return [xs, ys, toUint32(xe - xs + 1), toUint32(ye - ys + 1)];
}

export function rleToBbox(rle: Rle | RleCounts): [number, number, number, number] {
  return countsToBbox('size' in rle ? decodeRle(rle) : rle);
}

/**
 * Walks two run-length lists of one mask size in step, as maskApi.c's merge and IoU loops do: `visit` gets each
 * stretch over which neither mask changes, with its length and both masks' values there; `last` marks the end.
 */
function walkRuns(A: readonly number[], B: readonly number[], visit: (length: number, va: number, vb: number, last: boolean) => void): void {
  let ca = A.length ? A[0] : 0;
  let cb = B.length ? B[0] : 0;
  let va = 0;
  let vb = 0;
  let a = 1;
  let b = 1;
  let ct = 1;
  while (ct > 0) {
    const c = Math.min(ca, cb);
    const stretchA = va;
    const stretchB = vb;
    ct = 0;
    ca -= c;
    if (!ca && a < A.length) {
      ca = A[a++];
      va = 1 - va;
    }
    ct += ca;
    cb -= c;
    if (!cb && b < B.length) {
      cb = B[b++];
      vb = 1 - vb;
    }
    ct += cb;
    visit(c, stretchA, stretchB, ct === 0);
  }
}

/** Union (or intersection) of several same-sized RLEs, as rleMerge. Different sizes → empty 0×0. */
export function mergeCounts(rs: readonly RleCounts[], intersect = false): RleCounts {
  if (rs.length === 0) return { h: 0, w: 0, counts: [] };
  const { h, w } = rs[0];
  if (rs.length === 1) return { h, w, counts: rs[0].counts.slice() };
  let cur = rs[0].counts.slice();
  for (let i = 1; i < rs.length; i++) {
    const B = rs[i];
    if (B.h !== h || B.w !== w) return { h: 0, w: 0, counts: [] };
    const out: number[] = [];
    let run = 0;
    let value = 0;
    walkRuns(cur, B.counts, (c, va, vb, last) => {
      const v = intersect ? va & vb : va | vb;
      if (v !== value) {
        out.push(run);
        run = 0;
        value = v;
      }
      run += c;
      if (last) out.push(run);
    });
    cur = out;
  }
  return { h, w, counts: cur };
}

export function rleMerge(rles: readonly Rle[], intersect = false): Rle {
  return encodeRle(mergeCounts(rles.map(decodeRle), intersect));
}

/** Box IoU as bbIou: iou[d][g]; for a crowd gt the union is the detection's own area. */
export function bboxIou(
  dt: readonly (readonly number[])[],
  gt: readonly (readonly number[])[],
  iscrowd: readonly (boolean | number)[],
): number[][] {
  const out: number[][] = [];
  for (let d = 0; d < dt.length; d++) {
    const D = dt[d];
    const da = D[2] * D[3];
    const row = new Array<number>(gt.length);
    for (let g = 0; g < gt.length; g++) {
      const G = gt[g];
      row[g] = 0;
      const iw = Math.min(D[2] + D[0], G[2] + G[0]) - Math.max(D[0], G[0]);
      if (iw <= 0) continue;
      const ih = Math.min(D[3] + D[1], G[3] + G[1]) - Math.max(D[1], G[1]);
      if (ih <= 0) continue;
      const inter = iw * ih;
      const union = iscrowd[g] ? da : da + G[2] * G[3] - inter;
      row[g] = inter / union;
    }
    out.push(row);
  }
  return out;
}

/** Pixel IoU of two decoded masks (one rleIou cell, without the box pre-check). Size mismatch → -1. */
export function countsIou(dt: RleCounts, gt: RleCounts, crowd: boolean): number {
  if (dt.h !== gt.h || dt.w !== gt.w) return -1;
  let inter = 0;
  let union = 0;
  walkRuns(dt.counts, gt.counts, (c, va, vb) => {
    if (va || vb) {
      union += c;
      if (va && vb) inter += c;
    }
  });
  if (inter === 0) union = 1;
  else if (crowd) union = countsArea(dt.counts);
  return inter / union;
}

/**
 * Mask IoU as rleIou: iou[d][g]. Pairs whose tight boxes do not overlap are 0 without touching the runs;
 * for a crowd gt the union is the detection's area. Different mask sizes → -1. Empty input → [].
 * Pass precomputed boxes (from countsToBbox) to avoid recomputing them.
 */
export function countsIouMatrix(
  dt: readonly RleCounts[],
  gt: readonly RleCounts[],
  iscrowd: readonly (boolean | number)[],
  dtBoxes: readonly (readonly number[])[] = dt.map(countsToBbox),
  gtBoxes: readonly (readonly number[])[] = gt.map(countsToBbox),
): number[][] {
  if (dt.length === 0 || gt.length === 0) return [];
  const o = bboxIou(dtBoxes, gtBoxes, iscrowd);
  for (let d = 0; d < dt.length; d++) {
    for (let g = 0; g < gt.length; g++) {
      if (o[d][g] > 0) o[d][g] = countsIou(dt[d], gt[g], Boolean(iscrowd[g]));
    }
  }
  return o;
}

export function rleIou(dt: readonly Rle[], gt: readonly Rle[], iscrowd: readonly (boolean | number)[]): number[][] {
  return countsIouMatrix(dt.map(decodeRle), gt.map(decodeRle), iscrowd);
}

// ---------------------------------------------------------------- COCO annotations

function isCompressed(seg: object): seg is { size: [number, number]; counts: string } {
  return 'counts' in seg && typeof (seg as { counts: unknown }).counts === 'string';
}

/**
 * Any COCO segmentation → compressed RLE, as COCO.annToRLE: polygons are rasterised with frPoly and
 * OR-merged; uncompressed RLE is compressed (keeping its own size); compressed RLE passes through.
 * Quirk kept from pycocotools' frPyObjects: a polygon list whose first ring has exactly 4 numbers is
 * taken as a list of boxes [x, y, w, h].
 */
export function segmentationToRle(seg: CocoSegmentation, h: number, w: number): Rle {
  if (Array.isArray(seg)) {
    if (seg.length > 0 && seg[0].length === 4) {
      return encodeRle(mergeCounts(seg.map((bb) => ({ h, w, counts: bboxCounts(bb, h, w) })), false));
    }
    return rleFromPolygons(seg, h, w);
  }
  if (isCompressed(seg)) return { size: [seg.size[0], seg.size[1]], counts: seg.counts };
  return rleFromUncompressed(seg);
}

/** Same as segmentationToRle but returns the decoded counts (what the evaluator needs). */
export function segmentationToCounts(seg: CocoSegmentation, h: number, w: number): RleCounts {
  if (!Array.isArray(seg)) {
    if (isCompressed(seg)) return decodeRle(seg);
    return { h: seg.size[0], w: seg.size[1], counts: seg.counts.map(toUint32) };
  }
  return decodeRle(segmentationToRle(seg, h, w));
}
