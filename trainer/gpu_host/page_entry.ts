// The GPU host page: the desktop app's hidden window (electron/main/gpu-host.ts) runs this bundle
// (build/bundle-gpu-host.mjs → dist/gpu-host/page.js). It starts tfjs' WebGPU backend on Chromium's own
// WebGPU and serves the data-parallel shard protocol (../parallel/messages.ts) on every MessagePort it
// is handed: one per trainer, each with its own model copy. The trainer keeps the file I/O, the data
// and the optimiser in Node; this page only computes gradients and detections. No Node APIs here.
//
// Ports arrive as window messages `{type: 'fieldwork-gpu-port'}` carrying the port — posted by the
// window's own preload (electron/gpu-host-preload.ts), which gets them from main over IPC (with
// contextIsolation the page cannot see ipcRenderer). Only messages from this window itself count.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { registerGradientFixes } from '../backend/gradient_fixes.ts';
import { initWebGpu, webgpuLostReason, type GpuAdapterRecord } from '../backend/webgpu.ts';
import { MaskRcnn } from '../model/mask_rcnn.ts';
import type { FromWorker, ToWorker } from '../parallel/messages.ts';
import { serveShard, type ShardPort } from '../parallel/shard_server.ts';
import { GPU_PORT_MESSAGE } from './names.ts';

let backend: Promise<GpuAdapterRecord> | null = null;

/**
 * WebGPU, started once for every port. A software adapter (SwiftShader) is started too: whether to
 * train on it is the trainer's choice (`auto` refuses it), made from the adapter in `ready`.
 */
function startWebGpu(): Promise<GpuAdapterRecord> {
  backend ??= (async () => {
    registerGradientFixes();
    const r = await initWebGpu(true);
    if (!r.adapter) throw new Error(`no WebGPU in the GPU host: ${r.reason}`);
    return r.adapter;
  })();
  return backend;
}

/** A DOM MessagePort as the shard server's port. */
function domPort(port: MessagePort): ShardPort {
  return {
    postMessage: (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer),
    onMessage(handler) {
      port.onmessage = (e: MessageEvent<ToWorker & { id?: number }>) => handler(e.data);
    },
    // Electron's renderers fire 'close' on a MessagePort whose other end is gone (a trainer that crashed
    // without saying `close`), so its model copy does not stay on the GPU.
    onClose(handler) {
      port.addEventListener('close', handler);
    },
  };
}

/** Serves one trainer on `port`. */
export function servePort(port: MessagePort): void {
  serveShard(domPort(port), {
    async backend() {
      const adapter = await startWebGpu();
      return { backend: tf.getBackend(), adapter, wasmThreads: () => 1, deviceLost: webgpuLostReason };
    },
    model: (options) => new MaskRcnn(options),
  });
}

window.addEventListener('message', (e: MessageEvent) => {
  if (e.source !== window || (e.data as { type?: unknown })?.type !== GPU_PORT_MESSAGE || !e.ports[0]) return;
  servePort(e.ports[0]);
});
