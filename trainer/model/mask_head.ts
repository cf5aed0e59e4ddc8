// Mask head: convs × [3×3 conv, GN, ReLU] on a 14×14 RoIAlign, 2× deconv + ReLU, 1×1 conv per class
// → 28×28 logits; each RoI's own-class mask; and pasting predicted masks back into the image. Its
// loss is in ./losses.ts; the RoI heads (./roi_heads.ts) run it.
import * as tf from '@tensorflow/tfjs-core';
import { applyConvGnTower, convGnTower, type ConvGn, type ParamStore, type WeightBias } from './layers.ts';

export interface MaskHeadOptions {
  inChannels: number;
  convs: number;
  channels: number;
  numClasses: number;
  gnGroups: number;
  gnEps: number;
}

export class MaskHead {
  readonly #convs: ConvGn[];
  /** 2× upsampling, then the 1×1 per-class mask predictor. */
  readonly #deconv: WeightBias;
  readonly #predictor: WeightBias;
  readonly opts: MaskHeadOptions;

  constructor(store: ParamStore, name: string, opts: MaskHeadOptions) {
    this.opts = opts;
    const tower = convGnTower(store, name, opts.convs, opts.inChannels, opts.channels, opts.gnGroups);
    this.#convs = tower.convs;
    // conv2dTranspose filter layout is [k, k, outChannels, inChannels]; MSRA fan-out = k·k·out.
    this.#deconv = { w: store.convWeight(`${name}.deconv.w`, 2, opts.channels, tower.outChannels, Math.sqrt(2 / (4 * opts.channels))), b: store.bias(`${name}.deconv.b`, opts.channels) };
    this.#predictor = { w: store.convWeight(`${name}.predictor.w`, 1, opts.channels, opts.numClasses, 0.001), b: store.bias(`${name}.predictor.b`, opts.numClasses) };
  }

  /** pooled [R, P, P, C] → logits [R, 2P, 2P, K]. */
  forward(pooled: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const x = applyConvGnTower(pooled, this.#convs, this.opts.gnEps);
      const [R, P] = x.shape;
      const up = tf.relu(tf.add(tf.conv2dTranspose(x, this.#deconv.w as tf.Tensor4D, [R, 2 * P, 2 * P, this.opts.channels], 2, 'valid'), this.#deconv.b)) as tf.Tensor4D;
      return tf.add(tf.conv2d(up, this.#predictor.w as tf.Tensor4D, 1, 0), this.#predictor.b) as tf.Tensor4D;
    });
  }
}

/** logits [R, M, M, K] → each RoI's own-class logits [R, M, M]; classes [R] in 1..K. */
export function selectClassMasks(logits: tf.Tensor4D, classes: ArrayLike<number>): tf.Tensor3D {
  return tf.tidy(() => {
    const [R, M, , K] = logits.shape;
    // Built here rather than with tf.oneHot, which refuses depth 1 (a one-class dataset).
    const sel = new Float32Array(R * K);
    for (let r = 0; r < R; r++) {
      const c = classes[r];
      if (!(Number.isInteger(c) && c >= 1 && c <= K)) throw new Error(`Error in selectClassMasks: class ${c} of RoI ${r} is outside 1..${K}`);
      sel[r * K + c - 1] = 1;
    }
    const onehot = tf.tensor4d(sel, [R, 1, 1, K]);
    return tf.reshape(tf.sum(tf.mul(logits, onehot), 3), [R, M, M]) as tf.Tensor3D;
  });
}

/** A pasted mask as the window around its box: rows × cols 0/1 values whose top-left is (x0, y0). */
export interface MaskWindow {
  data: Uint8Array;
  x0: number;
  y0: number;
  rows: number;
  cols: number;
}

/**
 * Pastes an M×M probability map for `box` (x1, y1, x2, y2 in output pixels) into a height×width image
 * (bilinear, threshold), returning only the window the box covers (clipped to the image): every pixel
 * outside it is 0. O(box area), whatever the image size.
 */
export function pasteMaskWindow(probs: ArrayLike<number>, M: number, box: ArrayLike<number>, height: number, width: number, threshold: number): MaskWindow {
  const [x1, y1, x2, y2] = [box[0], box[1], box[2], box[3]];
  const bw = Math.max(x2 - x1, 1e-3), bh = Math.max(y2 - y1, 1e-3);
  const xs = Math.max(0, Math.floor(x1)), xe = Math.min(width, Math.ceil(x2));
  const ys = Math.max(0, Math.floor(y1)), ye = Math.min(height, Math.ceil(y2));
  const cols = Math.max(0, xe - xs), rows = Math.max(0, ye - ys);
  const out = new Uint8Array(rows * cols);
  // Column taps once per window (clamped source columns and weights; -1 marks outside the map).
  const cj0 = new Int32Array(cols), cj1 = new Int32Array(cols), clx = new Float64Array(cols);
  const clamp = (i: number) => Math.min(Math.max(i, 0), M - 1);
  for (let c = 0; c < cols; c++) {
    const u = ((xs + c + 0.5 - x1) / bw) * M - 0.5;
    if (u < -0.5 || u > M - 0.5) { cj0[c] = -1; continue; }
    const j0 = Math.floor(u);
    cj0[c] = clamp(j0); cj1[c] = clamp(j0 + 1); clx[c] = u - j0;
  }
  for (let y = ys; y < ye; y++) {
    const v = ((y + 0.5 - y1) / bh) * M - 0.5;
    if (v < -0.5 || v > M - 0.5) continue;
    const i0 = Math.floor(v), ly = v - i0;
    const r0 = clamp(i0) * M, r1 = clamp(i0 + 1) * M, o = (y - ys) * cols;
    for (let c = 0; c < cols; c++) {
      const j0 = cj0[c];
      if (j0 < 0) continue;
      const j1 = cj1[c], lx = clx[c];
      const p = (1 - ly) * ((1 - lx) * probs[r0 + j0] + lx * probs[r0 + j1]) + ly * ((1 - lx) * probs[r1 + j0] + lx * probs[r1 + j1]);
      if (p >= threshold) out[o + c] = 1;
    }
  }
  return { data: out, x0: xs, y0: ys, rows, cols };
}

/** pasteMaskWindow into a whole row-major height×width 0/1 mask (`into`, or a new one). */
export function pasteMask(probs: ArrayLike<number>, M: number, box: ArrayLike<number>, height: number, width: number, threshold: number, into?: Uint8Array): Uint8Array {
  const out = into ?? new Uint8Array(height * width);
  const win = pasteMaskWindow(probs, M, box, height, width, threshold);
  for (let r = 0; r < win.rows; r++) {
    for (let c = 0; c < win.cols; c++) if (win.data[r * win.cols + c]) out[(win.y0 + r) * width + win.x0 + c] = 1;
  }
  return out;
}
