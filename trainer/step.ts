// One optimisation step's maths, shared by the training loop, the data-parallel workers
// (trainer/parallel) and the benchmarks: gradients of the summed Mask R-CNN losses, the loss values,
// and the SGD update.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './data/rng.ts';
import type { GtInstances, ImageBatch, MaskRcnn } from './model/mask_rcnn.ts';
import type { SgdMomentum } from './optim.ts';

export interface Gradients {
  /** By variable name; the caller disposes them. */
  grads: Record<string, tf.Tensor>;
  /** Each loss term and `total`. */
  parts: Record<string, number>;
}

/** Gradients of the total loss of a batch w.r.t. every parameter, and the loss values. */
export function computeGrads(model: MaskRcnn, batch: ImageBatch, gt: GtInstances[], rng: Rng): Gradients {
  const vars = [...model.store.params.values()].map((p) => p.variable);
  let parts: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const l = model.losses(batch, gt, rng);
    const total = tf.addN(Object.values(l)) as tf.Scalar;
    parts = Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.dataSync()[0]]));
    return total;
  }, vars);
  parts.total = value.dataSync()[0];
  value.dispose();
  return { grads, parts };
}

/** Throws (naming every term) when the loss is not finite: the step must not be applied. */
export function assertFiniteLoss(parts: Record<string, number>): void {
  if (!Number.isFinite(parts.total)) throw new Error(`Error in trainStep: loss is ${parts.total} (${JSON.stringify(parts)}); lower solver.baseLr`);
}

/** Applies computed gradients (unless the loss is not finite) and disposes them; returns the loss values. */
export function applyGradients(optimizer: SgdMomentum, { grads, parts }: Gradients, lr: number, clipNorm: number): Record<string, number> {
  try {
    assertFiniteLoss(parts);
    optimizer.step(grads, lr, clipNorm);
  } finally {
    tf.dispose(Object.values(grads));
  }
  return parts;
}

/** One SGD step on one batch in this thread; returns the loss values. */
export function trainStep(model: MaskRcnn, optimizer: SgdMomentum, batch: ImageBatch, gt: GtInstances[], lr: number, rng: Rng, clipNorm: number): Record<string, number> {
  return applyGradients(optimizer, computeGrads(model, batch, gt, rng), lr, clipNorm);
}
