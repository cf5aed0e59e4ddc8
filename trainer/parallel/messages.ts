// What the data-parallel pool (./data_parallel.ts) and its worker threads (./worker.ts) say to each
// other. Everything is plain data (structured clone); typed arrays in replies are transferred.
import type { Sample } from '../data/loader.ts';
import type { ImageDetections, MaskRcnnOptions } from '../model/mask_rcnn.ts';

export interface WorkerInit {
  backend: 'wasm' | 'cpu';
  options: MaskRcnnOptions;
  /** XNNPACK threads for a WASM backend (1 = the plain build). */
  wasmThreads: number;
}

/** `weights`: the model's packed parameters, sent only when the worker's copy is stale. */
export type ToWorker =
  | { type: 'grads'; weights?: Float32Array; samples: Sample[]; divisibility: number; seed: number }
  | { type: 'detect'; weights?: Float32Array; samples: Sample[]; divisibility: number }
  | { type: 'memory' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'grads'; id: number; grads: Float32Array; parts: Record<string, number> }
  | { type: 'detections'; id: number; detections: ImageDetections[] }
  | { type: 'memory'; id: number; numTensors: number; wasmThreads: number }
  | { type: 'error'; id: number; message: string };
