// RoI heads (torchvision `roi_heads.py` RoIHeads): proposal sampling against GT, multi-scale RoIAlign
// over P2–P5, the box branch (./box_head.ts) and, on the foreground RoIs only, the mask branch
// (./mask_head.ts) with its targets; in training their losses (./losses.ts), in inference the
// detections (per-class NMS) and each detection's mask.
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './layers.ts';
import type { FeatureSpec } from './resnet.ts';
import { BoxHead, type BoxHeadOptions } from './box_head.ts';
import { MaskHead, selectClassMasks, type MaskHeadOptions } from './mask_head.ts';
import { fastRcnnLosses, maskRcnnLoss } from './losses.ts';
import { decodeBoxes, encodeBoxes, type BoxWeights } from '../ops/box_coder.ts';
import { boxIou, clipBoxes } from '../ops/boxes.ts';
import { matchBoxes } from '../ops/matcher.ts';
import { sampleBalanced } from '../ops/sampler.ts';
import { batchedNms } from '../ops/nms.ts';
import { assignFpnLevels, flattenLevels, planRoiAlign, roiAlign, type FlatLevel } from '../ops/roi_align.ts';
import type { Rng } from '../common/rng.ts';

/** Ground truth of one image in the batch frame. */
export interface GtInstances {
  /** [G, 4] x1, y1, x2, y2. */
  boxes: Float32Array;
  /** [G] 1..K. */
  classes: Int32Array;
  /** M×M 0/1 target of GT `index` inside `box` (batch frame). */
  maskTarget(index: number, box: Float32Array, size: number): Float32Array;
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

/** Detections of one image plus its per-detection M×M mask probabilities (own class). */
export interface ImageDetections extends Detections {
  /** [D, M, M] probabilities, row-major. */
  masks: Float32Array;
  maskSize: number;
}

/** The foreground RoIs of a sample with their M×M mask targets (torchvision `project_masks_on_boxes`). */
export interface MaskTargets {
  /** [F, 4] RoI boxes. */
  boxes: Float32Array;
  /** [F] image index of each RoI. */
  batchIndex: Int32Array;
  /** [F] class 1..K. */
  classes: Int32Array;
  /** [F·M·M] 0/1, row-major per RoI. */
  targets: Float32Array;
}

/** Selects the foreground RoIs of `rois` and crops each one's matched GT mask to its box at M×M. */
export function maskTargets(rois: RoiSample, gt: GtInstances[], M: number): MaskTargets {
  const fg: number[] = [];
  rois.labels.forEach((l, i) => { if (l > 0) fg.push(i); });
  const out: MaskTargets = { boxes: new Float32Array(fg.length * 4), batchIndex: new Int32Array(fg.length), classes: new Int32Array(fg.length), targets: new Float32Array(fg.length * M * M) };
  fg.forEach((r, i) => {
    const box = rois.boxes.subarray(4 * r, 4 * r + 4);
    out.boxes.set(box, 4 * i); out.batchIndex[i] = rois.batchIndex[r]; out.classes[i] = rois.labels[r];
    out.targets.set(gt[rois.batchIndex[r]].maskTarget(rois.matchedGt[r], box, M), i * M * M);
  });
  return out;
}

export interface RoiHeadsOptions {
  numClasses: number;
  boxHead: Omit<BoxHeadOptions, 'inChannels' | 'numClasses'>;
  maskHead: Omit<MaskHeadOptions, 'inChannels' | 'numClasses'> & { poolSize: number };
  sampling: RoiSamplingOptions;
  postprocess: PostprocessOptions;
  samplingRatio: number;
  canonicalSize: number;
  canonicalLevel: number;
}

export type RoiLossTensors = Record<'loss_classifier' | 'loss_box' | 'loss_mask', tf.Scalar>;

const ROI_LEVELS = 4; // RoIAlign pools from P2..P5; P6 serves only the RPN.

/** The P2–P5 maps flattened into one table RoIAlign reads from (torchvision MultiScaleRoIAlign's input). The caller disposes it. */
export interface RoiFeatures {
  table: tf.Tensor2D;
  levels: FlatLevel[];
}

export class RoIHeads {
  readonly opts: RoiHeadsOptions;
  readonly boxHead: BoxHead;
  readonly maskHead: MaskHead;
  readonly #strides: number[];

  /** `levels`: the FPN outputs (P2…P6); the heads pool from the first four. */
  constructor(store: ParamStore, name: string, levels: FeatureSpec[], opts: RoiHeadsOptions) {
    this.opts = opts;
    this.#strides = levels.slice(0, ROI_LEVELS).map((l) => l.stride);
    const c = levels[0].channels;
    this.boxHead = new BoxHead(store, `${name}.box`, { ...opts.boxHead, inChannels: c, numClasses: opts.numClasses });
    this.maskHead = new MaskHead(store, `${name}.mask`, { ...opts.maskHead, inChannels: c, numClasses: opts.numClasses });
  }

  /** Mask side M of the mask head's output (2 × its pool size). */
  get maskSize(): number {
    return 2 * this.opts.maskHead.poolSize;
  }

  /** features: the FPN maps P2…P6 [B, H_l, W_l, C]; only P2–P5 are copied in. */
  roiFeatures(features: tf.Tensor4D[]): RoiFeatures {
    return flattenLevels(features.slice(0, ROI_LEVELS), this.#strides);
  }

  /** RoIAlign of boxes [R, 4] (image b = batchIndex[r]) at size×size from the level each box's scale maps to. */
  #pool(f: RoiFeatures, boxes: Float32Array, batchIndex: Int32Array, size: number): tf.Tensor4D {
    const level = assignFpnLevels(boxes, this.opts.canonicalSize, this.opts.canonicalLevel, 2, 1 + ROI_LEVELS);
    return roiAlign(f.table, planRoiAlign(boxes, batchIndex, level, f.levels, { outputSize: size, samplingRatio: this.opts.samplingRatio }));
  }

  /**
   * Training: samples RoIs from proposals[b] [P_b, 4] ∪ GT, runs the box branch on them and the mask
   * branch on the foreground ones; returns their losses (synchronous: runs inside the gradient tape).
   */
  losses(f: RoiFeatures, proposals: Float32Array[], gt: GtInstances[], rng: Rng): RoiLossTensors {
    const rois = sampleRois(proposals, gt.map((g) => g.boxes), gt.map((g) => g.classes), this.opts.sampling, rng);
    const boxPooled = this.#pool(f, rois.boxes, rois.batchIndex, this.opts.boxHead.poolSize);
    const { logits, deltas } = this.boxHead.forward(boxPooled);
    const box = fastRcnnLosses(logits, deltas, rois.labels, rois.boxTargets, this.opts.numClasses);

    const fg = maskTargets(rois, gt, this.maskSize);
    let lossMask: tf.Scalar;
    if (fg.classes.length === 0) {
      lossMask = tf.tidy(() => tf.mul(tf.sum(logits), 0) as tf.Scalar); // no foreground: zero, still in the graph
    } else {
      const maskPooled = this.#pool(f, fg.boxes, fg.batchIndex, this.opts.maskHead.poolSize);
      const maskLogits = this.maskHead.forward(maskPooled);
      lossMask = maskRcnnLoss(maskLogits, fg.classes, fg.targets);
      tf.dispose([maskPooled, maskLogits]);
    }
    tf.dispose([boxPooled, logits, deltas]);
    return { loss_classifier: box.classifier, loss_box: box.box, loss_mask: lossMask };
  }

  /**
   * Inference: per image, the box branch on its proposals → per-class NMS detections, then the mask
   * branch on the detections (each one's own-class probabilities). sizes[b] = (h, w) of image b.
   * Reads are awaited (the GPU backends have no synchronous read).
   */
  async detect(f: RoiFeatures, proposals: Float32Array[], sizes: [number, number][]): Promise<ImageDetections[]> {
    const results: ImageDetections[] = [];
    for (let b = 0; b < proposals.length; b++) {
      const det = await this.#detectBoxes(f, proposals[b], b, sizes[b]);
      results.push({ ...det, masks: await this.#predictMasks(f, det, b), maskSize: this.maskSize });
    }
    return results;
  }

  async #detectBoxes(f: RoiFeatures, proposals: Float32Array, b: number, size: [number, number]): Promise<Detections> {
    const P = proposals.length / 4;
    if (P === 0) return { boxes: new Float32Array(0), scores: new Float32Array(0), classes: new Int32Array(0) };
    const batchIdx = new Int32Array(P).fill(b);
    // Tidies return tensors, read afterwards: tidy walks whatever it returns, element by element
    // for a typed array.
    const [probsT, deltasT] = tf.tidy(() => {
      const out = this.boxHead.forward(this.#pool(f, proposals, batchIdx, this.opts.boxHead.poolSize));
      return [tf.softmax(out.logits), out.deltas];
    });
    const [probs, deltas] = (await Promise.all([probsT.data(), deltasT.data()])) as Float32Array[];
    tf.dispose([probsT, deltasT]);
    return postprocessDetections(proposals, probs, deltas, this.opts.numClasses, size, this.opts.postprocess);
  }

  /** [D, M, M] own-class mask probabilities of the detections of image b. */
  async #predictMasks(f: RoiFeatures, det: Detections, b: number): Promise<Float32Array> {
    const D = det.scores.length;
    if (D === 0) return new Float32Array(0);
    const probsT = tf.tidy(() => {
      const logits = this.maskHead.forward(this.#pool(f, det.boxes, new Int32Array(D).fill(b), this.opts.maskHead.poolSize));
      return tf.sigmoid(selectClassMasks(logits, det.classes));
    });
    const masks = (await probsT.data()) as Float32Array;
    probsT.dispose();
    return masks;
  }
}
