// What the data-parallel pool (./data_parallel.ts) and its shards say to each other: worker threads
// (./worker.ts) and remote hosts such as the desktop app's GPU host page (../gpu_host/page_entry.ts),
// both served by ./shard_server.ts. Everything is plain data (structured clone); typed arrays in
// replies are transferred where the port can transfer them.
import type { GpuAdapterRecord } from '../backend/webgpu.ts';
import type { Sample } from '../data/batch.ts';
import type { ImageDetections, MaskRcnnOptions } from '../model/mask_rcnn.ts';

export interface WorkerInit {
  backend: 'wasm' | 'cpu';
  options: MaskRcnnOptions;
  /** XNNPACK threads for a WASM backend (1 = the plain build). */
  wasmThreads: number;
}

/**
 * `weights`: the model's packed parameters, sent only when the shard's copy is stale. A remote shard
 * is first asked `hello` (it starts its backend and answers `ready` with it, so the trainer can choose
 * before building anything), then `init` with the model options (answered `initialised`); a worker
 * thread gets its options as workerData instead. `close` tells a remote shard to free its model.
 */
export type ToWorker =
  | { type: 'hello' }
  | { type: 'init'; options: MaskRcnnOptions }
  | { type: 'grads'; weights?: Float32Array; samples: Sample[]; divisibility: number; seed: number }
  | { type: 'detect'; weights?: Float32Array; samples: Sample[]; divisibility: number }
  | { type: 'memory' }
  | { type: 'close' };

/**
 * `ready` says which backend the shard computes on (and, on WebGPU, its adapter). `lost`: the shard's
 * GPU device is gone (driver reset, out of memory, a shader error): the run must end with `reason`.
 */
export type FromWorker =
  | { type: 'ready'; backend?: string; adapter?: GpuAdapterRecord }
  | { type: 'failed'; message: string }
  | { type: 'initialised'; id: number }
  | { type: 'grads'; id: number; grads: Float32Array; parts: Record<string, number> }
  | { type: 'detections'; id: number; detections: ImageDetections[] }
  | { type: 'memory'; id: number; numTensors: number; wasmThreads: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'lost'; id: number; reason: string };
