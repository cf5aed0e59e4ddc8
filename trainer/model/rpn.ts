// Region Proposal Network: a shared 3×3 conv + objectness and box-delta 1×1 convs on every FPN level,
// anchor targets (match → sample) and proposals (per-level top-k → decode → NMS → top-k); its losses
// are in ./losses.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './layers.ts';
import type { FeatureSpec } from './resnet.ts';
import { generateAnchors } from '../ops/anchors.ts';
import { decodeBoxes, encodeBoxes } from '../ops/box_coder.ts';
import { boxIou, clipBoxes } from '../ops/boxes.ts';
import { matchBoxes } from '../ops/matcher.ts';
import { sampleBalanced } from '../ops/sampler.ts';
import { batchedNms } from '../ops/nms.ts';
import type { Rng } from '../common/rng.ts';

export interface RpnOptions {
  anchorSizes: number[];
  aspectRatios: number[];
  preNmsTopK: { train: number; test: number };
  postNmsTopK: { train: number; test: number };
  nmsThresh: number;
  fgIouThresh: number;
  bgIouThresh: number;
  batchSizePerImage: number;
  positiveFraction: number;
}

/** Raw head outputs, flattened over levels in anchor order. */
export interface RpnOutputs {
  /** [B, N] objectness logits. */
  objectness: tf.Tensor2D;
  /** [B, N, 4] deltas (weights 1, 1, 1, 1). */
  deltas: tf.Tensor3D;
  /** Anchors [N_l, 4] per level (identical for every image of the batch). */
  anchors: Float32Array[];
}

export interface RpnTargets {
  /** [B·N] 1 for sampled positives/negatives, 0 otherwise. */
  sampled: Float32Array;
  /** [B·N] 1 positive, 0 negative. */
  labels: Float32Array;
  /** [B·N, 4] deltas for positives (zeros elsewhere). */
  boxTargets: Float32Array;
  /** [B·N] 1 for sampled positives. */
  positive: Float32Array;
  numSampled: number;
}

const RPN_BOX_WEIGHTS = [1, 1, 1, 1] as const;

export class RPN {
  readonly #convW: tf.Variable;
  readonly #convB: tf.Variable;
  readonly #objW: tf.Variable;
  readonly #objB: tf.Variable;
  readonly #deltaW: tf.Variable;
  readonly #deltaB: tf.Variable;
  readonly #levels: FeatureSpec[];
  readonly opts: RpnOptions;
  #anchorCache = new Map<string, Float32Array[]>();

  constructor(store: ParamStore, name: string, levels: FeatureSpec[], opts: RpnOptions) {
    if (levels.length !== opts.anchorSizes.length) throw new Error(`Error in RPN: ${levels.length} levels vs ${opts.anchorSizes.length} anchor sizes`);
    const c = levels[0].channels;
    const A = opts.aspectRatios.length;
    this.#levels = levels;
    this.opts = opts;
    this.#convW = store.convWeight(`${name}.conv.w`, 3, c, c, 0.01);
    this.#convB = store.bias(`${name}.conv.b`, c);
    this.#objW = store.convWeight(`${name}.objectness.w`, 1, c, A, 0.01);
    this.#objB = store.bias(`${name}.objectness.b`, A);
    this.#deltaW = store.convWeight(`${name}.deltas.w`, 1, c, 4 * A, 0.01);
    this.#deltaB = store.bias(`${name}.deltas.b`, 4 * A);
  }

  anchorsFor(shapes: [number, number][]): Float32Array[] {
    const key = shapes.map((s) => s.join('x')).join(',');
    let a = this.#anchorCache.get(key);
    if (!a) {
      a = generateAnchors({ sizes: this.opts.anchorSizes, aspectRatios: this.opts.aspectRatios, strides: this.#levels.map((l) => l.stride) }, shapes);
      this.#anchorCache.set(key, a);
    }
    return a;
  }

  forward(features: tf.Tensor4D[]): RpnOutputs {
    const A = this.opts.aspectRatios.length;
    const shapes = features.map((f) => [f.shape[1], f.shape[2]] as [number, number]);
    const [objectness, deltas] = tf.tidy(() => {
      const objs: tf.Tensor2D[] = [], dels: tf.Tensor3D[] = [];
      for (const f of features) {
        const [B, H, W] = f.shape;
        const t = tf.relu(tf.add(tf.conv2d(f, this.#convW as tf.Tensor4D, 1, 1), this.#convB)) as tf.Tensor4D;
        objs.push(tf.reshape(tf.add(tf.conv2d(t, this.#objW as tf.Tensor4D, 1, 0), this.#objB), [B, H * W * A]));
        dels.push(tf.reshape(tf.add(tf.conv2d(t, this.#deltaW as tf.Tensor4D, 1, 0), this.#deltaB), [B, H * W * A, 4]));
      }
      return [tf.concat(objs, 1) as tf.Tensor2D, tf.concat(dels, 1) as tf.Tensor3D];
    });
    return { objectness, deltas, anchors: this.anchorsFor(shapes) };
  }

  /** Anchor labels and regression targets for every image. gtBoxes[b]: [G_b, 4]. */
  targets(anchorsPerLevel: Float32Array[], gtBoxes: Float32Array[], rng: Rng): RpnTargets {
    const anchors = concatRows(anchorsPerLevel);
    const N = anchors.length / 4, B = gtBoxes.length;
    const sampled = new Float32Array(B * N), labels = new Float32Array(B * N), positive = new Float32Array(B * N);
    const boxTargets = new Float32Array(B * N * 4);
    let numSampled = 0;
    for (let b = 0; b < B; b++) {
      const gt = gtBoxes[b];
      const G = gt.length / 4;
      const matches = matchBoxes(boxIou(gt, anchors), G, N, { high: this.opts.fgIouThresh, low: this.opts.bgIouThresh, allowLowQuality: true });
      const lab = new Int8Array(N);
      for (let n = 0; n < N; n++) lab[n] = matches[n] >= 0 ? 1 : matches[n] === -1 ? 0 : -1;
      const { positive: pos, negative: neg } = sampleBalanced(lab, this.opts.batchSizePerImage, this.opts.positiveFraction, rng);
      for (const n of neg) sampled[b * N + n] = 1;
      if (pos.length) {
        const ref = new Float32Array(pos.length * 4), tgt = new Float32Array(pos.length * 4);
        pos.forEach((n, i) => {
          ref.set(anchors.subarray(4 * n, 4 * n + 4), 4 * i);
          tgt.set(gt.subarray(4 * matches[n], 4 * matches[n] + 4), 4 * i);
        });
        const d = encodeBoxes(ref, tgt, RPN_BOX_WEIGHTS);
        pos.forEach((n, i) => {
          sampled[b * N + n] = 1; labels[b * N + n] = 1; positive[b * N + n] = 1;
          boxTargets.set(d.subarray(4 * i, 4 * i + 4), 4 * (b * N + n));
        });
      }
      numSampled += pos.length + neg.length;
    }
    return { sampled, labels, boxTargets, positive, numSampled };
  }

  /**
   * Proposals per image: boxes [K, 4] (image pixels, clipped), sorted by objectness.
   * objectness [B, N] and deltas [B, N, 4] as read back from the head (no gradient flows).
   */
  proposals(objectness: Float32Array, deltas: Float32Array, anchorsPerLevel: Float32Array[], imageSizes: [number, number][], training: boolean): Float32Array[] {
    const preK = training ? this.opts.preNmsTopK.train : this.opts.preNmsTopK.test;
    const postK = training ? this.opts.postNmsTopK.train : this.opts.postNmsTopK.test;
    const N = anchorsPerLevel.reduce((s, a) => s + a.length / 4, 0);
    const out: Float32Array[] = [];
    for (let b = 0; b < imageSizes.length; b++) {
      const [h, w] = imageSizes[b];
      const cand: number[] = [], levelOf: number[] = [];
      let start = 0;
      anchorsPerLevel.forEach((a, l) => {
        const n = a.length / 4;
        const idx = Array.from({ length: n }, (_, i) => start + i);
        idx.sort((x, y) => objectness[b * N + y] - objectness[b * N + x]);
        for (const i of idx.slice(0, preK)) { cand.push(i); levelOf.push(l); }
        start += n;
      });
      const anchors = concatRows(anchorsPerLevel);
      const ref = new Float32Array(cand.length * 4), del = new Float32Array(cand.length * 4);
      cand.forEach((i, k) => {
        ref.set(anchors.subarray(4 * i, 4 * i + 4), 4 * k);
        del.set(deltas.subarray(4 * (b * N + i), 4 * (b * N + i) + 4), 4 * k);
      });
      const boxes = clipBoxes(decodeBoxes(ref, del, RPN_BOX_WEIGHTS), h, w);
      const valid: number[] = [];
      for (let k = 0; k < cand.length; k++) {
        if (boxes[4 * k + 2] - boxes[4 * k] > 1e-3 && boxes[4 * k + 3] - boxes[4 * k + 1] > 1e-3 && Number.isFinite(boxes[4 * k])) valid.push(k);
      }
      const vb = new Float32Array(valid.length * 4);
      valid.forEach((k, i) => vb.set(boxes.subarray(4 * k, 4 * k + 4), 4 * i));
      const scores = valid.map((k) => objectness[b * N + cand[k]]);
      const keep = batchedNms(vb, scores, valid.map((k) => levelOf[k]), this.opts.nmsThresh, postK);
      const res = new Float32Array(keep.length * 4);
      keep.forEach((k, i) => res.set(vb.subarray(4 * k, 4 * k + 4), 4 * i));
      out.push(res);
    }
    return out;
  }
}

export function concatRows(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
