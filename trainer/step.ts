// One optimisation step's maths, shared by the training loop, the data-parallel workers
// (trainer/parallel) and the benchmarks: gradients of the summed Mask R-CNN losses, the loss values,
// and the SGD update.
import * as tf from '@tensorflow/tfjs-core';
import { readScalars, readsAreAsync } from './backend/reads.ts';
import { assertDeviceAlive } from './backend/webgpu.ts';
import type { Rng } from './common/rng.ts';
import type { GtInstances, ImageBatch, MaskRcnn } from './model/mask_rcnn.ts';
import type { SgdMomentum } from './optim.ts';

export interface Gradients {
  /** By variable name; the caller disposes them. */
  grads: Record<string, tf.Tensor>;
  /** Each loss term and `total`. */
  parts: Record<string, number>;
}

/**
 * Gradients of the total loss of a batch w.r.t. every parameter, and the loss values. The loss
 * values are read back after the tape, asynchronously (the GPU backends have no synchronous read);
 * where reads are asynchronous only, the proposals are computed and read before the tape too.
 */
export async function computeGrads(model: MaskRcnn, batch: ImageBatch, gt: GtInstances[], rng: Rng): Promise<Gradients> {
  const vars = [...model.store.params.values()].map((p) => p.variable);
  const proposals = readsAreAsync() ? await model.trainingProposals(batch) : undefined;
  let terms: Record<string, tf.Tensor> = {};
  const { value, grads } = tf.variableGrads(() => {
    const l = model.losses(batch, gt, rng, proposals);
    const total = tf.addN(Object.values(l)) as tf.Scalar;
    terms = Object.fromEntries(Object.entries(l).map(([k, v]) => [k, tf.keep(v)]));
    return total;
  }, vars);
  const parts = await readScalars({ ...terms, total: value });
  return { grads, parts };
}

/** Throws (naming every term) when the loss is not finite: the step must not be applied. */
export function assertFiniteLoss(parts: Record<string, number>): void {
  if (!Number.isFinite(parts.total)) throw new Error(`Error in trainStep: loss is ${parts.total} (${JSON.stringify(parts)}); lower solver.baseLr`);
}

/** Applies computed gradients (unless the loss is not finite) and disposes them; returns the loss values. */
export function applyGradients(optimizer: SgdMomentum, { grads, parts }: Gradients, lr: number, clipNorm: number): Record<string, number> {
  try {
    assertDeviceAlive();
    assertFiniteLoss(parts);
    optimizer.step(grads, lr, clipNorm);
  } finally {
    tf.dispose(Object.values(grads));
  }
  return parts;
}

/** One SGD step on one batch in this thread; returns the loss values. */
export async function trainStep(model: MaskRcnn, optimizer: SgdMomentum, batch: ImageBatch, gt: GtInstances[], lr: number, rng: Rng, clipNorm: number): Promise<Record<string, number>> {
  return applyGradients(optimizer, await computeGrads(model, batch, gt, rng), lr, clipNorm);
}
