// Data parallelism on one machine: the batch is split into shards, this thread computes one and
// worker threads (one per extra CPU core, each with its own tfjs WASM/CPU backend and a copy of the
// model) compute the others at the same time; their gradients are averaged, weighted by images, and
// the optimiser steps once here — Detectron2's multi-GPU recipe, with threads for GPUs. Shards run
// everything in parallel (JavaScript and element-wise kernels too), so they beat one WASM instance
// on tfjs' threaded build (../backend/wasm_threads.ts), which only parallelises XNNPACK's kernels
// (bench/cores.ts compares the two). Cores left over when a batch has fewer images than cores go to
// the threaded build inside each shard.
//
// Workers get the current weights whenever the model's version changed since they last saw it
// (after every optimiser step; not between the batches of one evaluation). With no workers the
// pool simply runs everything in this thread, so callers have one code path.
//
// A shard may also be remote (./shards.ts RemoteShard): the desktop app's GPU host page, fed over a
// MessagePort. A pool whose only shard is remote (DataParallel.remote) computes nothing here: this
// thread samples and decodes, averages nothing (one shard), applies the optimiser and writes files.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../backend/index.ts';
import { gtInstances, makeBatch, portableTruth, type Sample } from '../data/loader.ts';
import { Rng } from '../common/rng.ts';
import type { ImageDetections, MaskRcnn, MaskRcnnOptions } from '../model/mask_rcnn.ts';
import type { SgdMomentum } from '../optim.ts';
import { applyGradients, computeGrads, type Gradients } from '../step.ts';
import type { FromWorker, ToWorker } from './messages.ts';
import { WorkerShard, type RemoteReady, type RemoteShard, type Shard } from './shards.ts';

/**
 * How many shards (this thread + workers) to train with. `requested` 0 = one per CPU core. Never
 * more than the images in a batch. Native TensorFlow (tfjs-node, -gpu) already uses every core or
 * the GPU from one thread, so it always gets 1.
 */
export function resolveWorkers(requested: number, backend: BackendName, imsPerBatch: number, cores = availableParallelism()): number {
  if (backend === 'tensorflow' || backend === 'tensorflow-gpu' || backend === 'webgpu') return 1;
  const n = requested > 0 ? requested : cores;
  return Math.max(1, Math.min(n, imsPerBatch));
}

/** XNNPACK threads per WASM instance: `requested`, or 0 = the cores the shards leave over. */
export function resolveWasmThreads(requested: number, shards: number, cores = availableParallelism()): number {
  if (requested > 0) return requested;
  return Math.max(1, Math.floor(cores / Math.max(1, shards)));
}

/**
 * The XNNPACK threads a CPU run starts its WASM backend with (before the backend is known): its
 * shards as WASM would resolve them, then the cores they leave over.
 */
export function plannedWasmThreads(workers: number, wasmThreads: number, imsPerBatch: number): number {
  return resolveWasmThreads(wasmThreads, resolveWorkers(workers, 'wasm', imsPerBatch));
}

/** Splits n items into `parts` contiguous shards whose sizes differ by at most one (larger first). */
export function shardSizes(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.floor(n / parts) + (k < n % parts ? 1 : 0));
}

/** The sampling seed of shard k of a step seeded `seed` (shard 0 keeps the step's own seed). */
export function shardSeed(seed: number, k: number): number {
  if (k === 0) return seed;
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ k;
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 13)) >>> 0;
}

export class DataParallel {
  readonly #workers: Shard[];
  /** Whether this thread computes shard 0 (false for a pool of remote shards only). */
  readonly #local: boolean;
  /** What the remote shard said when it started (remote pools only). */
  readonly remoteReady: RemoteReady | null;

  private constructor(workers: Shard[], local = true, remoteReady: RemoteReady | null = null) {
    this.#workers = workers;
    this.#local = local;
    this.remoteReady = remoteReady;
  }

  /**
   * A pool whose only shard is `shard` (the GPU host page, see ./shards.ts RemoteShard): waits until it
   * has started its backend and built its model copy from `options`. Rejects with the host's reason
   * when it cannot (the shard is then closed).
   */
  static async remote(shard: RemoteShard, options: MaskRcnnOptions): Promise<DataParallel> {
    try {
      const ready = await shard.started;
      await shard.init(options);
      return new DataParallel([shard], false, ready);
    } catch (e) {
      await shard.close();
      throw e;
    }
  }

  /**
   * Starts `shards − 1` worker threads, each building the model from `options` on `backend`, and
   * waits until they are ready. shards ≤ 1 gives a pool that runs everything in this thread.
   */
  static async start(shards: number, backend: BackendName, options: MaskRcnnOptions, wasmThreads = 1): Promise<DataParallel> {
    if (shards > 1 && backend !== 'wasm' && backend !== 'cpu') throw new Error(`Error in DataParallel.start: worker threads need the wasm or cpu backend, not ${backend}`);
    const workers = Array.from({ length: Math.max(0, shards - 1) }, (_, k) => new WorkerShard(k + 1, { backend: backend as 'wasm' | 'cpu', options, wasmThreads }));
    try {
      await Promise.all(workers.map((w) => w.ready));
    } catch (e) {
      await Promise.all(workers.map((w) => w.close()));
      throw e;
    }
    return new DataParallel(workers);
  }

  /**
   * start(), but a pool that cannot start its workers (a missing or broken install, no threads)
   * falls back to this thread alone instead of failing the run: `onFallback` gets the reason.
   */
  static async startOrSingle(shards: number, backend: BackendName, options: MaskRcnnOptions, onFallback: (reason: string) => void, wasmThreads = 1): Promise<DataParallel> {
    try {
      return await DataParallel.start(shards, backend, options, wasmThreads);
    } catch (e) {
      if (shards <= 1) throw e;
      onFallback((e as Error)?.message ?? String(e));
      return DataParallel.start(1, backend, options);
    }
  }

  /** Shards per batch: this thread (unless the pool is remote only) plus the workers. */
  get shards(): number {
    return this.#workers.length + (this.#local ? 1 : 0);
  }

  /**
   * Splits `samples` into shards, sends shards 1.. to the workers (the message `make` builds, with the
   * weights when a worker's are stale) and returns shard 0 for this thread, the shard sizes and the
   * workers' replies (settled: a failure is handled even while this thread still computes). In a
   * remote-only pool `mine` is empty (sizes[0] = 0) and the first worker's shard is shard 0.
   */
  #scatter(model: MaskRcnn, samples: Sample[], make: (part: Sample[], k: number, weights?: Float32Array) => ToWorker): { mine: Sample[]; sizes: number[]; replied: Promise<FromWorker[]> } {
    const sizes = shardSizes(samples.length, Math.min(this.shards, samples.length));
    // Without a local shard, shard 0 is the first worker's and this thread's share is empty.
    if (!this.#local) sizes.unshift(0);
    let packed: Float32Array | null = null;
    let start = sizes[0];
    const first = this.#local ? 1 : 0;
    const remote = sizes.slice(1).map((n, j) => {
      const w = this.#workers[j];
      const part = samples.slice(start, start + n);
      start += n;
      let weights: Float32Array | undefined;
      if (w.seen.store !== model.store || w.seen.version !== model.store.version) {
        w.seen = { store: model.store, version: model.store.version };
        weights = packed ??= model.store.packed();
      }
      return w.ask(make(part, j + first, weights));
    });
    const replied = Promise.all(remote);
    replied.catch(() => {});
    return { mine: samples.slice(0, sizes[0]), sizes, replied };
  }

  /**
   * Gradients of a batch averaged over the shards (weighted by their images) and the loss terms
   * averaged the same way. Shard k samples RoIs/anchors with shardSeed(seed, k). The caller
   * disposes the gradients.
   */
  async gradients(model: MaskRcnn, samples: Sample[], divisibility: number, seed: number): Promise<Gradients> {
    const { mine, sizes, replied } = this.#scatter(model, samples, (part, k, weights) => ({
      type: 'grads', weights, samples: part.map(portableSample), divisibility, seed: shardSeed(seed, k),
    }));
    // Our shard runs while the workers run theirs (a remote-only pool has none).
    let local: Gradients | null = null;
    if (mine.length) {
      const batch = makeBatch(mine, divisibility);
      try {
        local = await computeGrads(model, batch, mine.map((s) => gtInstances(s.truth!)), new Rng(shardSeed(seed, 0)));
      } catch (e) {
        await replied.catch(() => {});
        throw e;
      } finally {
        batch.images.dispose();
      }
    }
    let replies: FromWorker[];
    try {
      replies = await replied;
    } catch (e) {
      if (local) tf.dispose(Object.values(local.grads));
      throw e;
    }
    if (!replies.length && local) return local;
    const total = samples.length;
    const remoteSizes = sizes.slice(1);
    const parts: Record<string, number> = {};
    if (local) for (const [k, v] of Object.entries(local.parts)) parts[k] = (v * sizes[0]) / total;
    replies.forEach((r, j) => {
      if (r.type !== 'grads') throw new Error(`Error in DataParallel: worker ${j + 1} answered ${r.type}`);
      for (const [k, v] of Object.entries(r.parts)) parts[k] = (parts[k] ?? 0) + (v * remoteSizes[j]) / total;
    });
    const grads = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      let o = 0;
      for (const p of model.store.params.values()) {
        const v = p.variable, n = v.size;
        let g: tf.Tensor | null = local ? tf.mul(local.grads[v.name] ?? tf.zerosLike(v), sizes[0] / total) : null;
        replies.forEach((r, j) => {
          if (r.type !== 'grads') return;
          const shard = tf.tensor(r.grads.subarray(o, o + n), v.shape);
          // One shard alone is its own average: no scaling, so its gradient arrives exactly as computed.
          const term = remoteSizes[j] === total ? shard : tf.mul(shard, remoteSizes[j] / total);
          g = g ? tf.add(g, term) : term;
        });
        out[v.name] = g ?? tf.zerosLike(v);
        o += n;
      }
      return out;
    });
    if (local) tf.dispose(Object.values(local.grads));
    return { grads, parts };
  }

  /** One SGD step on a batch split over the shards; returns the loss values (image-weighted means). */
  async trainStep(model: MaskRcnn, optimizer: SgdMomentum, samples: Sample[], divisibility: number, lr: number, seed: number, clipNorm: number): Promise<Record<string, number>> {
    return applyGradients(optimizer, await this.gradients(model, samples, divisibility, seed), lr, clipNorm);
  }

  /** Inference on samples split over the shards; detections in the order of `samples`. */
  async detect(model: MaskRcnn, samples: Sample[], divisibility: number): Promise<ImageDetections[]> {
    if (!samples.length) return [];
    const { mine, replied } = this.#scatter(model, samples, (part, _k, weights) => ({
      type: 'detect', weights, samples: part.map((s) => ({ pixels: s.pixels.slice(), height: s.height, width: s.width })), divisibility,
    }));
    let local: ImageDetections[] = [];
    if (mine.length) {
      const batch = makeBatch(mine, divisibility);
      try {
        local = await model.detect(batch);
      } catch (e) {
        await replied.catch(() => {});
        throw e;
      } finally {
        batch.images.dispose();
      }
    }
    const replies = await replied;
    return [...local, ...replies.flatMap((r) => (r.type === 'detections' ? r.detections : []))];
  }

  /** Live tensors in each worker (for leak tests). */
  async workerTensors(): Promise<number[]> {
    return (await this.#workerMemory()).map((r) => r.numTensors);
  }

  /** XNNPACK threads of each worker's WASM backend (1 for the plain build or another backend). */
  async workerWasmThreads(): Promise<number[]> {
    return (await this.#workerMemory()).map((r) => r.wasmThreads);
  }

  async #workerMemory(): Promise<{ numTensors: number; wasmThreads: number }[]> {
    const replies = await Promise.all(this.#workers.map((w) => w.ask({ type: 'memory' })));
    return replies.map((r) => (r.type === 'memory' ? { numTensors: r.numTensors, wasmThreads: r.wasmThreads } : { numTensors: -1, wasmThreads: -1 }));
  }

  /** Stops the workers (idempotent). */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.close()));
  }
}

function portableSample(s: Sample): Sample {
  if (!s.truth) throw new Error('Error in DataParallel: a training sample has no ground truth');
  // slice(): a view (sharp's output) would otherwise carry its whole underlying buffer across.
  return { pixels: s.pixels.slice(), height: s.height, width: s.width, truth: portableTruth(s.truth) };
}
