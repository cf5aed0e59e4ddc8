// The shard side of the data-parallel protocol (./messages.ts), whatever carries it: a worker thread's
// parentPort (./worker.ts) or a MessagePort handed to the GPU host page (../gpu_host/page_entry.ts).
// It holds a model copy on its own backend and answers one message at a time, in order (a step's reads
// are asynchronous, and the next message may set weights). No Node APIs: the page bundles this file.
import * as tf from '@tensorflow/tfjs-core';
import type { GpuAdapterRecord } from '../backend/webgpu.ts';
import { gtInstances, makeBatch } from '../data/batch.ts';
import { Rng } from '../common/rng.ts';
import type { MaskRcnn, MaskRcnnOptions } from '../model/mask_rcnn.ts';
import { computeGrads } from '../step.ts';
import type { FromWorker, ToWorker } from './messages.ts';

/** Where messages come from and go: a worker's parentPort, a DOM MessagePort, a test bridge. */
export interface ShardPort {
  postMessage(message: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: ToWorker & { id?: number }) => void): void;
  /** Where the carrier can tell that the other side went away (a trainer that crashed): the model is freed. */
  onClose?(handler: () => void): void;
}

/** The backend a host started for its shards. */
export interface ShardBackend {
  backend: string;
  adapter?: GpuAdapterRecord;
  /** XNNPACK threads of a WASM backend (1 elsewhere). */
  wasmThreads(): number;
  /** Why the GPU device is gone, or null (WebGPU hosts; others omit it). */
  deviceLost?(): string | null;
}

export interface ServeOptions {
  /** Starts the backend (called once; a failure is reported as `failed`). */
  backend(): Promise<ShardBackend>;
  /** Builds the shard's model copy on it. */
  model(options: MaskRcnnOptions): MaskRcnn;
  /** A worker thread knows its options at once (and answers only `ready`); a remote host waits for `hello` / `init`. */
  options?: MaskRcnnOptions;
  /** Called after a start failure was reported (a worker thread exits). */
  onStartFailed?(): void;
}

/**
 * The gradients in ParamStore.packed()'s layout, read asynchronously: WebGPU has no usable synchronous
 * read (its dataSync goes through a canvas and reads zeros on some adapters, SwiftShader among them).
 */
async function packedAsync(model: MaskRcnn, grads: Record<string, tf.Tensor>): Promise<Float32Array> {
  const out = new Float32Array(model.store.count);
  let o = 0;
  for (const p of model.store.params.values()) {
    const g = grads[p.variable.name];
    if (g) out.set((await g.data()) as Float32Array, o);
    o += p.variable.size;
  }
  return out;
}

const messageOf = (e: unknown) => (e as Error)?.message ?? String(e);

/** Serves the protocol on `port` until a `close` message (or for the life of the thread). */
export function serveShard(port: ShardPort, serve: ServeOptions): void {
  let backend: ShardBackend | null = null;
  let model: MaskRcnn | null = null;
  let closed = false;
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

  /** The backend, started on first use; null after a failure (reported as `failed`). */
  async function started(): Promise<ShardBackend | null> {
    if (backend) return backend;
    try {
      backend = await serve.backend();
      return backend;
    } catch (e) {
      post({ type: 'failed', message: messageOf(e) });
      serve.onStartFailed?.();
      return null;
    }
  }
  const ready = (b: ShardBackend) => post({ type: 'ready', backend: b.backend, ...(b.adapter ? { adapter: b.adapter } : {}) });

  async function handle(m: ToWorker & { id?: number }): Promise<void> {
    const id = m.id ?? 0;
    if (m.type === 'hello') { const b = await started(); if (b) ready(b); return; }
    if (m.type === 'close') { closed = true; model?.dispose(); model = null; return; }
    if (m.type === 'init') {
      if (!(await started())) return;
      model?.dispose();
      model = serve.model(m.options);
      post({ type: 'initialised', id });
      return;
    }
    if (!backend || !model) { post({ type: 'error', id, message: 'Error in serveShard: the shard has no model yet (no init)' }); return; }
    const rt = { ...backend, model };
    if (m.type === 'memory') { post({ type: 'memory', id, numTensors: tf.memory().numTensors, wasmThreads: rt.wasmThreads() }); return; }
    if (m.weights) rt.model.store.setPacked(m.weights);
    const batch = makeBatch(m.samples, m.divisibility);
    try {
      if (m.type === 'grads') {
        const { grads, parts } = await computeGrads(rt.model, batch, m.samples.map((s) => gtInstances(s.truth!)), new Rng(m.seed));
        const packed = await packedAsync(rt.model, grads);
        tf.dispose(Object.values(grads));
        const lost = rt.deviceLost?.();
        if (lost) { post({ type: 'lost', id, reason: lost }); return; }
        post({ type: 'grads', id, grads: packed, parts }, [packed.buffer as ArrayBuffer]);
      } else {
        const detections = await rt.model.detect(batch);
        const lost = rt.deviceLost?.();
        if (lost) { post({ type: 'lost', id, reason: lost }); return; }
        // Copied, not transferred: a backend may hand out views that share a buffer.
        post({ type: 'detections', id, detections });
      }
    } finally {
      batch.images.dispose();
    }
  }

  let queue: Promise<void> = Promise.resolve();
  port.onClose?.(() => {
    queue = queue.then(() => { closed = true; model?.dispose(); model = null; });
  });
  port.onMessage((m) => {
    if (closed) return;
    queue = queue.then(() => handle(m)).catch((e) => {
      const lost = backend?.deviceLost?.();
      post(lost ? { type: 'lost', id: m.id ?? 0, reason: lost } : { type: 'error', id: m.id ?? 0, message: messageOf(e) });
    });
  });
  if (serve.options) {
    const options = serve.options;
    queue = queue.then(async () => {
      const b = await started();
      if (!b) return;
      model = serve.model(options);
      ready(b);
    }).catch((e) => {
      post({ type: 'failed', message: messageOf(e) });
      serve.onStartFailed?.();
    });
  }
}
