// A data-parallel worker thread (see ./data_parallel.ts): its own tfjs backend and model copy;
// computes the gradients or detections of the shard it is sent, with the weights it is sent
// (the protocol is served by ./shard_server.ts, which the GPU host page shares).
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, wasmThreadsInUse } from '../backend/index.ts';
import { MaskRcnn } from '../model/mask_rcnn.ts';
import type { ToWorker, WorkerInit } from './messages.ts';
import { serveShard } from './shard_server.ts';

const port = parentPort!;
const init = workerData as WorkerInit;

serveShard(
  { postMessage: (m, transfer = []) => port.postMessage(m, transfer), onMessage: (h) => port.on('message', (m: ToWorker & { id: number }) => h(m)) },
  {
    options: init.options,
    async backend() {
      await initBackend(init.backend, { wasmThreads: init.wasmThreads });
      return { backend: init.backend, wasmThreads: wasmThreadsInUse };
    },
    model: (options) => new MaskRcnn(options),
    onStartFailed: () => process.exit(1),
  },
);
