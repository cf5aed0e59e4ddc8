// The training losses of Mask R-CNN as pure functions (torchvision `rpn.py` compute_loss,
// `roi_heads.py` fastrcnn_loss / maskrcnn_loss). Every loss of an empty input is 0 · Σ(outputs), so
// it stays in the gradient graph.
import * as tf from '@tensorflow/tfjs-core';
import type { RpnTargets } from './rpn.ts';
import { selectClassMasks } from './mask_head.ts';

/** Elementwise BCE with logits: max(x, 0) − x·z + log(1 + exp(−|x|)). */
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
}

/** Elementwise smooth-L1 of a difference; beta 0 gives L1. */
export function smoothL1(diff: tf.Tensor, beta: number): tf.Tensor {
  return tf.tidy(() => {
    const a = tf.abs(diff);
    if (beta <= 0) return a;
    // 0.5·m²/β + (a − m) with m = min(a, β): equals 0.5·a²/β below β and a − β/2 above, without a
    // comparison op (tfjs has no gradient for Less).
    const m = tf.minimum(a, beta);
    return tf.add(tf.div(tf.mul(tf.square(m), 0.5), beta), tf.sub(a, m));
  });
}

/**
 * RPN losses. objectness [B, N] logits; deltas [B, N, 4]. Objectness: BCE summed over sampled
 * anchors; boxes: smooth-L1 (beta 1/9) summed over positives; both divided by the number sampled.
 * With nothing sampled both are 0 · Σ(outputs) so they stay in the graph.
 */
export function rpnLosses(objectness: tf.Tensor2D, deltas: tf.Tensor3D, t: RpnTargets): { objectness: tf.Scalar; box: tf.Scalar } {
  return tf.tidy(() => {
    const [B, N] = objectness.shape;
    const logits = tf.reshape(objectness, [B * N]);
    const denom = Math.max(1, t.numSampled);
    const bce = binaryCrossEntropyWithLogits(logits, tf.tensor1d(t.labels));
    const lossObj = tf.div(tf.sum(tf.mul(bce, tf.tensor1d(t.sampled))), denom) as tf.Scalar;
    const d = tf.reshape(deltas, [B * N, 4]);
    const sl1 = smoothL1(tf.sub(d, tf.tensor2d(t.boxTargets, [B * N, 4])), 1 / 9);
    const lossBox = tf.div(tf.sum(tf.mul(sl1, tf.tensor2d(t.positive, [B * N, 1]))), denom) as tf.Scalar;
    return { objectness: lossObj, box: lossBox };
  });
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

/**
 * Mask loss: mean per-pixel BCE between the own-class logits and targets.
 * logits [R, M, M, K]; classes [R] 1..K; targets [R·M·M] 0/1. R = 0 → 0 · Σ logits (stays in the graph).
 */
export function maskRcnnLoss(logits: tf.Tensor4D, classes: ArrayLike<number>, targets: Float32Array): tf.Scalar {
  return tf.tidy(() => {
    const [R, M] = logits.shape;
    if (R === 0) return tf.mul(tf.sum(logits), 0) as tf.Scalar;
    const own = selectClassMasks(logits, classes);
    return tf.mean(binaryCrossEntropyWithLogits(own, tf.tensor3d(targets, [R, M, M]))) as tf.Scalar;
  });
}
