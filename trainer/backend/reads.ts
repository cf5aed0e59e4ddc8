// Reading tensors back without blocking: WebGPU has no synchronous read. No Node imports, so the
// model and its step also run in a page (the Chromium host).
import * as tf from '@tensorflow/tfjs-core';

/** Reads scalar tensors by name asynchronously, then disposes them. */
export async function readScalars(terms: Record<string, tf.Tensor>): Promise<Record<string, number>> {
  try {
    const names = Object.keys(terms);
    const values = await Promise.all(names.map((k) => terms[k].data()));
    return Object.fromEntries(names.map((k, i) => [k, values[i][0] as number]));
  } finally {
    tf.dispose(Object.values(terms));
  }
}

/** Whether tensors live where reading them back is asynchronous only (the GPU). */
export function readsAreAsync(): boolean {
  return tf.getBackend() === 'webgpu';
}
