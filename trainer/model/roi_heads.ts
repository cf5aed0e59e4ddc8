// RoI heads: proposal sampling against GT, the box head (convs + fcs, GN), the box predictor
// (softmax classes + class-specific deltas), its losses and detection post-processing.
import * as tf from '@tensorflow/tfjs-core';
import { applyConvGn, convGn, type ConvGn, type ParamStore } from './layers.ts';
import { smoothL1 } from './rpn.ts';
import { decodeBoxes, encodeBoxes, type BoxWeights } from '../ops/box_coder.ts';
import { boxIou, clipBoxes } from '../ops/boxes.ts';
import { matchBoxes } from '../ops/matcher.ts';
import { sampleBalanced } from '../ops/sampler.ts';
import { batchedNms } from '../ops/nms.ts';
import type { Rng } from '../common/rng.ts';

export interface BoxHeadOptions {
  inChannels: number;
  poolSize: number;
  convs: number;
  convChannels: number;
  fcs: number;
  fcDim: number;
  /** Foreground classes (background is index 0 of the logits). */
  numClasses: number;
  gnGroups: number;
  gnEps: number;
}

export interface RoiSamplingOptions {
  batchSizePerImage: number;
  positiveFraction: number;
  fgIouThresh: number;
  boxWeights: BoxWeights;
}

/** Sampled RoIs for a batch, concatenated over images. */
export interface RoiSample {
  /** [R, 4] proposal boxes in image pixels. */
  boxes: Float32Array;
  /** [R] image index of each RoI. */
  batchIndex: Int32Array;
  /** [R] class label: 0 background, 1..K foreground. */
  labels: Int32Array;
  /** [R, 4] regression targets (zeros for background). */
  boxTargets: Float32Array;
  /** [R] index of the matched GT within its image (−1 for background). */
  matchedGt: Int32Array;
}

/**
 * Samples RoIs per image from proposals ∪ GT boxes. proposals[b] [P_b, 4]; gtBoxes[b] [G_b, 4];
 * gtClasses[b] [G_b] in 1..K. Positives (IoU ≥ fg) first, then negatives.
 */
export function sampleRois(proposals: Float32Array[], gtBoxes: Float32Array[], gtClasses: Int32Array[], opts: RoiSamplingOptions, rng: Rng): RoiSample {
  const boxes: number[] = [], batchIndex: number[] = [], labels: number[] = [], targets: number[] = [], matched: number[] = [];
  for (let b = 0; b < proposals.length; b++) {
    const gt = gtBoxes[b];
    const cand = new Float32Array(proposals[b].length + gt.length);
    cand.set(proposals[b]);
    cand.set(gt, proposals[b].length);
    const N = cand.length / 4, G = gt.length / 4;
    const matches = matchBoxes(boxIou(gt, cand), G, N, { high: opts.fgIouThresh, low: opts.fgIouThresh, allowLowQuality: false });
    const lab = new Int8Array(N);
    for (let n = 0; n < N; n++) lab[n] = matches[n] >= 0 ? 1 : 0;
    const { positive, negative } = sampleBalanced(lab, opts.batchSizePerImage, opts.positiveFraction, rng);
    if (positive.length) {
      const ref = new Float32Array(positive.length * 4), tgt = new Float32Array(positive.length * 4);
      positive.forEach((n, i) => { ref.set(cand.subarray(4 * n, 4 * n + 4), 4 * i); tgt.set(gt.subarray(4 * matches[n], 4 * matches[n] + 4), 4 * i); });
      const d = encodeBoxes(ref, tgt, opts.boxWeights);
      positive.forEach((n, i) => {
        boxes.push(...cand.subarray(4 * n, 4 * n + 4)); batchIndex.push(b);
        labels.push(gtClasses[b][matches[n]]); targets.push(...d.subarray(4 * i, 4 * i + 4)); matched.push(matches[n]);
      });
    }
    for (const n of negative) {
      boxes.push(...cand.subarray(4 * n, 4 * n + 4)); batchIndex.push(b);
      labels.push(0); targets.push(0, 0, 0, 0); matched.push(-1);
    }
  }
  return {
    boxes: Float32Array.from(boxes), batchIndex: Int32Array.from(batchIndex), labels: Int32Array.from(labels),
    boxTargets: Float32Array.from(targets), matchedGt: Int32Array.from(matched),
  };
}

export class BoxHead {
  readonly #convs: ConvGn[] = [];
  readonly #fcs: { w: tf.Variable; b: tf.Variable }[] = [];
  readonly #clsW: tf.Variable;
  readonly #clsB: tf.Variable;
  readonly #boxW: tf.Variable;
  readonly #boxB: tf.Variable;
  readonly opts: BoxHeadOptions;

  constructor(store: ParamStore, name: string, opts: BoxHeadOptions) {
    this.opts = opts;
    let c = opts.inChannels;
    for (let i = 0; i < opts.convs; i++) {
      this.#convs.push(convGn(store, `${name}.conv${i + 1}`, 3, c, opts.convChannels, 1, opts.gnGroups));
      c = opts.convChannels;
    }
    let d = c * opts.poolSize * opts.poolSize;
    for (let i = 0; i < opts.fcs; i++) {
      this.#fcs.push({ w: store.fcWeight(`${name}.fc${i + 1}.w`, d, opts.fcDim), b: store.bias(`${name}.fc${i + 1}.b`, opts.fcDim) });
      d = opts.fcDim;
    }
    this.#clsW = store.fcWeight(`${name}.cls.w`, d, opts.numClasses + 1, 0.01);
    this.#clsB = store.bias(`${name}.cls.b`, opts.numClasses + 1);
    this.#boxW = store.fcWeight(`${name}.bbox.w`, d, opts.numClasses * 4, 0.001);
    this.#boxB = store.bias(`${name}.bbox.b`, opts.numClasses * 4);
  }

  /** pooled [R, P, P, C] → class logits [R, K+1] and deltas [R, K·4]. */
  forward(pooled: tf.Tensor4D): { logits: tf.Tensor2D; deltas: tf.Tensor2D } {
    const R = pooled.shape[0];
    const [logits, deltas] = tf.tidy(() => {
      let x = pooled;
      for (const c of this.#convs) x = applyConvGn(x, c, this.opts.gnEps, true);
      let h: tf.Tensor2D = tf.reshape(x, [R, -1]);
      for (const fc of this.#fcs) h = tf.relu(tf.add(tf.matMul(h, fc.w as tf.Tensor2D), fc.b)) as tf.Tensor2D;
      return [tf.add(tf.matMul(h, this.#clsW as tf.Tensor2D), this.#clsB) as tf.Tensor2D, tf.add(tf.matMul(h, this.#boxW as tf.Tensor2D), this.#boxB) as tf.Tensor2D];
    });
    return { logits, deltas };
  }
}

/**
 * Box-head losses. logits [R, K+1]; deltas [R, K·4]; labels [R] (0 = background); boxTargets [R, 4].
 * Classes: softmax CE averaged over R. Boxes: L1 (smooth-L1 beta 0, as Detectron2) on the
 * foreground RoIs' own-class deltas, summed and divided by R. R = 0 gives zero losses.
 */
export function fastRcnnLosses(logits: tf.Tensor2D, deltas: tf.Tensor2D, labels: Int32Array, boxTargets: Float32Array, numClasses: number): { classifier: tf.Scalar; box: tf.Scalar } {
  return tf.tidy(() => {
    const R = logits.shape[0];
    if (R === 0) return { classifier: tf.mul(tf.sum(logits), 0) as tf.Scalar, box: tf.mul(tf.sum(deltas), 0) as tf.Scalar };
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses + 1);
    const logp = tf.logSoftmax(logits);
    const classifier = tf.div(tf.neg(tf.sum(tf.mul(onehot, logp))), R) as tf.Scalar;
    // Select each foreground RoI's class deltas with a 0/1 mask over the K·4 columns.
    const sel = new Float32Array(R * numClasses * 4), tgt = new Float32Array(R * numClasses * 4);
    for (let r = 0; r < R; r++) {
      const c = labels[r];
      if (c <= 0) continue;
      for (let j = 0; j < 4; j++) { sel[r * numClasses * 4 + (c - 1) * 4 + j] = 1; tgt[r * numClasses * 4 + (c - 1) * 4 + j] = boxTargets[4 * r + j]; }
    }
    const diff = tf.mul(tf.sub(deltas, tf.tensor2d(tgt, [R, numClasses * 4])), tf.tensor2d(sel, [R, numClasses * 4]));
    const box = tf.div(tf.sum(smoothL1(diff, 0)), R) as tf.Scalar;
    return { classifier, box };
  });
}

export interface Detections {
  /** [D, 4] boxes in the (resized) image frame. */
  boxes: Float32Array;
  scores: Float32Array;
  /** 1..K */
  classes: Int32Array;
}

export interface PostprocessOptions {
  scoreThresh: number;
  nmsThresh: number;
  detectionsPerImage: number;
  boxWeights: BoxWeights;
}

/**
 * Detections for one image from its RoIs. proposals [R, 4]; probs [R, K+1] softmax; deltas [R, K·4].
 * Per class: decode, clip to imageSize (h, w), keep score > thresh, per-class NMS; top-N overall.
 */
export function postprocessDetections(proposals: Float32Array, probs: Float32Array, deltas: Float32Array, numClasses: number, imageSize: [number, number], opts: PostprocessOptions): Detections {
  const R = proposals.length / 4;
  const K = numClasses;
  const cb: number[] = [], cs: number[] = [], cc: number[] = [];
  for (let k = 1; k <= K; k++) {
    const rows: number[] = [];
    for (let r = 0; r < R; r++) if (probs[r * (K + 1) + k] > opts.scoreThresh) rows.push(r);
    if (!rows.length) continue;
    const ref = new Float32Array(rows.length * 4), del = new Float32Array(rows.length * 4);
    rows.forEach((r, i) => { ref.set(proposals.subarray(4 * r, 4 * r + 4), 4 * i); del.set(deltas.subarray(r * K * 4 + (k - 1) * 4, r * K * 4 + k * 4), 4 * i); });
    const boxes = clipBoxes(decodeBoxes(ref, del, opts.boxWeights), imageSize[0], imageSize[1]);
    rows.forEach((r, i) => {
      if (boxes[4 * i + 2] - boxes[4 * i] < 1e-2 || boxes[4 * i + 3] - boxes[4 * i + 1] < 1e-2) return;
      cb.push(...boxes.subarray(4 * i, 4 * i + 4)); cs.push(probs[r * (K + 1) + k]); cc.push(k);
    });
  }
  const keep = batchedNms(Float32Array.from(cb), cs, cc, opts.nmsThresh, opts.detectionsPerImage);
  const out: Detections = { boxes: new Float32Array(keep.length * 4), scores: new Float32Array(keep.length), classes: new Int32Array(keep.length) };
  keep.forEach((k, i) => { out.boxes.set(cb.slice(4 * k, 4 * k + 4), 4 * i); out.scores[i] = cs[k]; out.classes[i] = cc[k]; });
  return out;
}
