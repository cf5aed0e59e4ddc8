// A data-parallel worker thread (see ./data_parallel.ts): its own tfjs backend and model copy;
// computes the gradients or detections of the shard it is sent, with the weights it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, wasmThreadsInUse } from '../backend/index.ts';
import { gtInstances, makeBatch } from '../data/loader.ts';
import { Rng } from '../common/rng.ts';
import { MaskRcnn } from '../model/mask_rcnn.ts';
import { computeGrads } from '../step.ts';
import type { FromWorker, ToWorker, WorkerInit } from './messages.ts';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let model: MaskRcnn;
try {
  await initBackend(init.backend, { wasmThreads: init.wasmThreads });
  model = new MaskRcnn(init.options);
} catch (e) {
  post({ type: 'failed', message: (e as Error)?.message ?? String(e) });
  process.exit(1);
}

async function handle(m: ToWorker & { id: number }): Promise<void> {
  if (m.type === 'memory') { post({ type: 'memory', id: m.id, numTensors: tf.memory().numTensors, wasmThreads: wasmThreadsInUse() }); return; }
  if (m.weights) model.store.setPacked(m.weights);
  const batch = makeBatch(m.samples, m.divisibility);
  try {
    if (m.type === 'grads') {
      const { grads, parts } = await computeGrads(model, batch, m.samples.map((s) => gtInstances(s.truth!)), new Rng(m.seed));
      const packed = model.store.packed(grads);
      tf.dispose(Object.values(grads));
      post({ type: 'grads', id: m.id, grads: packed, parts }, [packed.buffer as ArrayBuffer]);
    } else {
      // Copied, not transferred: a backend may hand out views that share a buffer.
      post({ type: 'detections', id: m.id, detections: await model.detect(batch) });
    }
  } finally {
    batch.images.dispose();
  }
}

// One message at a time, in order: a step's reads are asynchronous, and the next message may set weights.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToWorker & { id: number }) => {
  queue = queue.then(() => handle(m)).catch((e) => {
    post({ type: 'error', id: m.id, message: (e as Error)?.message ?? String(e) });
  });
});
post({ type: 'ready' });
