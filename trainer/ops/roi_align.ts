// RoIAlign (Mask R-CNN, "aligned" half-pixel variant of Detectron2) as a sparse weighted sum over
// a flattened feature table: the bilinear taps (index, weight) are planned on the CPU side, and the
// op is a tf.customGrad whose forward is the weighted gather and whose gradient is the matching
// scatter-add (tfjs' cropAndResize has no gradient). Both run as plain JS loops over the planned
// taps, which avoids materialising every tap's feature row as tf.gather + segment-sum would.
import * as tf from '@tensorflow/tfjs-core';

/** One FPN level inside the flattened feature table: rows [offset, offset + batch·H·W). */
export interface FlatLevel {
  height: number;
  width: number;
  stride: number;
  offset: number;
}

export interface RoiAlignOptions {
  /** Output bins per side (7 box head, 14 mask head). */
  outputSize: number;
  /** Sample points per bin side (2). */
  samplingRatio: number;
}

/**
 * Gather plan (CSR): output row q = r·P² + bin takes Σ weights[k] · table[indices[k]] over
 * k ∈ [offsets[q], offsets[q + 1]). Each bin's 4·s² bilinear taps are merged by table row (a small
 * RoI's sample points share feature pixels: at the cpu preset's sizes a 14×14 mask bin holds ~4–6
 * distinct taps of 16), and zero-weight taps are dropped, so the gather does only the distinct work.
 */
export interface RoiAlignPlan {
  indices: Int32Array;
  weights: Float32Array;
  /** [R·P² + 1] start of each output row's taps. */
  offsets: Int32Array;
  numRois: number;
  outputSize: number;
}

/**
 * FPN level (index into the levels list, 0 = P2) for each box [N, 4] by its size:
 * floor(canonicalLevel + log2(sqrt(area) / canonicalSize)), clamped to [minLevel, maxLevel].
 */
export function assignFpnLevels(boxes: Float32Array, canonicalSize: number, canonicalLevel: number, minLevel = 2, maxLevel = 5): Int32Array {
  const n = boxes.length / 4;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const area = Math.max(0, boxes[4 * i + 2] - boxes[4 * i]) * Math.max(0, boxes[4 * i + 3] - boxes[4 * i + 1]);
    const lvl = Math.floor(canonicalLevel + Math.log2(Math.sqrt(area) / canonicalSize + 1e-8));
    out[i] = Math.min(Math.max(lvl, minLevel), maxLevel) - minLevel;
  }
  return out;
}

/**
 * Builds the gather plan. boxes [R, 4] in image pixels; batchIndex [R] image of each box;
 * level [R] index into `levels`. Sample points outside (−1, size) contribute zero, as in Detectron2.
 */
export function planRoiAlign(boxes: Float32Array, batchIndex: ArrayLike<number>, level: ArrayLike<number>, levels: FlatLevel[], opts: RoiAlignOptions): RoiAlignPlan {
  const R = boxes.length / 4;
  const P = opts.outputSize, S = opts.samplingRatio;
  const taps = 4 * S * S;
  const indices = new Int32Array(R * P * P * taps);
  const weights = new Float32Array(R * P * P * taps);
  const offsets = new Int32Array(R * P * P + 1);
  const norm = 1 / (S * S);
  let o = 0, q = 0;
  // Adds weight w for table row i to the current bin, merging with an earlier tap of the same row.
  const add = (i: number, w: number) => {
    if (w === 0) return;
    for (let k = offsets[q]; k < o; k++) if (indices[k] === i) { weights[k] += w; return; }
    indices[o] = i; weights[o++] = w;
  };
  for (let r = 0; r < R; r++) {
    const L = levels[level[r]];
    if (!L) throw new Error(`Error in planRoiAlign: box ${r} has level ${level[r]} of ${levels.length}`);
    const scale = 1 / L.stride, H = L.height, W = L.width;
    const base = L.offset + batchIndex[r] * H * W;
    const x1 = boxes[4 * r] * scale - 0.5, y1 = boxes[4 * r + 1] * scale - 0.5;
    const x2 = boxes[4 * r + 2] * scale - 0.5, y2 = boxes[4 * r + 3] * scale - 0.5;
    const binW = (x2 - x1) / P, binH = (y2 - y1) / P;
    for (let py = 0; py < P; py++) for (let px = 0; px < P; px++, q++) {
      offsets[q] = o;
      for (let sy = 0; sy < S; sy++) {
        let y = y1 + py * binH + ((sy + 0.5) * binH) / S;
        for (let sx = 0; sx < S; sx++) {
          let x = x1 + px * binW + ((sx + 0.5) * binW) / S;
          if (y < -1 || y > H || x < -1 || x > W) continue; // outside: contributes zero
          const yy = Math.max(y, 0), xx = Math.max(x, 0);
          let yl = Math.floor(yy), xl = Math.floor(xx), yh: number, xh: number;
          if (yl >= H - 1) { yl = yh = H - 1; y = yl; } else { yh = yl + 1; y = yy; }
          if (xl >= W - 1) { xl = xh = W - 1; x = xl; } else { xh = xl + 1; x = xx; }
          const ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
          add(base + yl * W + xl, hy * hx * norm);
          add(base + yl * W + xh, hy * lx * norm);
          add(base + yh * W + xl, ly * hx * norm);
          add(base + yh * W + xh, ly * lx * norm);
        }
      }
    }
  }
  offsets[q] = o;
  return { indices: indices.subarray(0, o), weights: weights.subarray(0, o), offsets, numRois: R, outputSize: P };
}

/**
 * Flattens FPN maps [B, H_l, W_l, C] into one table [Σ B·H_l·W_l, C] and returns the level layout.
 */
export function flattenLevels(features: tf.Tensor4D[], strides: number[]): { table: tf.Tensor2D; levels: FlatLevel[] } {
  const levels: FlatLevel[] = [];
  let offset = 0;
  const parts = features.map((f, i) => {
    const [B, H, W, C] = f.shape;
    levels.push({ height: H, width: W, stride: strides[i], offset });
    offset += B * H * W;
    return tf.reshape(f, [B * H * W, C]);
  });
  const table = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  if (parts.length > 1) parts.forEach((p) => p.dispose());
  return { table: table as tf.Tensor2D, levels };
}

/**
 * Applies a plan to a feature table [T, C] → [R, P, P, C]. Differentiable w.r.t. the table.
 * On the CPU backends a JS loop over the table's memory; where tensors live on the GPU (WebGPU,
 * whose reads are asynchronous only), the same sum as GPU ops (roiAlignOnDevice).
 */
export function roiAlign(table: tf.Tensor2D, plan: RoiAlignPlan): tf.Tensor4D {
  const [T, C] = table.shape;
  const { numRois: R, outputSize: P, offsets, indices, weights } = plan;
  if (R === 0) return tf.zeros([0, P, P, C]);
  if (tf.getBackend() === 'webgpu') return roiAlignOnDevice(table, plan);
  const rows = R * P * P;
  const op = tf.customGrad((...args: unknown[]) => {
    const x = args[0] as tf.Tensor;
    const src = x.dataSync() as Float32Array;
    const out = new Float32Array(rows * C);
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      for (let k = offsets[r], end = offsets[r + 1]; k < end; k++) {
        const w = weights[k];
        const s = indices[k] * C;
        for (let c = 0; c < C; c++) out[o + c] += w * src[s + c];
      }
    }
    return {
      value: tf.tensor4d(out, [R, P, P, C]),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const dx = new Float32Array(T * C);
        for (let r = 0; r < rows; r++) {
          const o = r * C;
          for (let k = offsets[r], end = offsets[r + 1]; k < end; k++) {
            const w = weights[k];
            const d = indices[k] * C;
            for (let c = 0; c < C; c++) dx[d + c] += w * g[o + c];
          }
        }
        return tf.tensor2d(dx, [T, C]);
      },
    };
  });
  return op(table) as tf.Tensor4D;
}

/** Smallest 2^k·{1, 1.5} ≥ n (≥ 256): few distinct sizes, so GPU buffer and shader caches stop growing. */
export function paddedLength(n: number): number {
  for (let b = 256; ; b *= 2) {
    if (b >= n) return b;
    if (b * 1.5 >= n) return b * 1.5;
  }
}

/**
 * The plan as tensor ops that stay on the device: gather each tap's table row, weight it, and sum
 * the taps of each output row (unsortedSegmentSum). Autodiff gives the scatter-add gradient
 * (gather's gradient is a segment sum over the table rows). Taps are padded with zero-weight
 * entries to `paddedLength`, so the gather's shapes take few distinct values across steps.
 */
export function roiAlignOnDevice(table: tf.Tensor2D, plan: RoiAlignPlan): tf.Tensor4D {
  const C = table.shape[1];
  const { numRois: R, outputSize: P, offsets, indices, weights } = plan;
  const rows = R * P * P, K = indices.length, Kp = paddedLength(K);
  const idx = new Int32Array(Kp), w = new Float32Array(Kp), seg = new Int32Array(Kp);
  idx.set(indices); w.set(weights);
  for (let r = 0; r < rows; r++) seg.fill(r, offsets[r], offsets[r + 1]);
  return tf.tidy(() => {
    const taps = tf.mul(tf.gather(table, tf.tensor1d(idx, 'int32')), tf.tensor2d(w, [Kp, 1]));
    return tf.reshape(tf.unsortedSegmentSum(taps, tf.tensor1d(seg, 'int32'), rows), [R, P, P, C]) as tf.Tensor4D;
  });
}
