// The compute backend: chosen once at start-up, recorded in the run, never switched in a hot path.
// Order for `auto`: @tensorflow/tfjs-node-gpu → WebGPU on a hardware adapter (./webgpu.ts) →
// @tensorflow/tfjs-node → WASM (SIMD) → pure-JS CPU. Why a choice fell through is kept for the run log.
// Kernels the WASM backend lacks for training are registered here (see ./wasm_kernels.ts), so model
// code is identical on every backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { registerWasmTrainingKernels } from './wasm_kernels.ts';
import { startThreadedWasm } from './wasm_threads.ts';
import { registerGradientFixes } from './gradient_fixes.ts';
export { readScalars, readsAreAsync } from './reads.ts';
import { describeAdapter, initWebGpu, type GpuAdapterRecord, type GpuSource } from './webgpu.ts';

import { BACKEND_CHOICES, type BackendChoice } from '../common/config.ts';

export type { BackendChoice };
export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
export type { GpuAdapterRecord };

/**
 * Folder holding the tfjs WASM binaries (tfjs-backend-wasm*.wasm). Looked up, in order, in
 * `FIELDWORK_WASM_DIR` (the packaged app points it at its unpacked resources), then next to the
 * installed `@tensorflow/tfjs-backend-wasm` package (`dist/`).
 */
export function wasmDir(): string {
  const override = process.env.FIELDWORK_WASM_DIR;
  if (override) return override.endsWith('/') ? override : override + '/';
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  // main is .../tfjs-backend-wasm/dist/tf-backend-wasm.node.js
  return join(dirname(main), '/');
}

async function tryImport(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

let gradientsRegistered = false;

/**
 * tfjs-core's CommonJS entry has no gradients; they live only in its ESM build, which needs a
 * resolve hook (./esm_resolve_hook.mjs) to load under Node. Registries and the engine are global,
 * so the ESM gradient configs serve the CommonJS ops.
 */
export async function registerGradients(): Promise<void> {
  if (gradientsRegistered) return;
  register(new URL('./esm_resolve_hook.mjs', import.meta.url).href);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
  registerGradientFixes();
  gradientsRegistered = true;
}

let initialised: BackendName | null = null;
let wasmThreads = 1;
let requested: BackendChoice | null = null;
let adapter: GpuAdapterRecord | null = null;
const notes: string[] = [];

/** The WebGPU adapter in use (null on the other backends). */
export function gpuAdapter(): GpuAdapterRecord | null {
  return initialised === 'webgpu' ? adapter : null;
}

/**
 * Lines for the run log from backend start-up: why a backend was passed over (no adapter, a
 * software adapter under `auto`) and which GPU is used.
 */
export function backendNotes(): string[] {
  return [...notes];
}

/** Threads of the WASM backend's XNNPACK pool in this thread's tfjs (1 unless the threaded build runs). */
export function wasmThreadsInUse(): number {
  return initialised === 'wasm' ? wasmThreads : 1;
}

export interface BackendOptions {
  /**
   * XNNPACK threads for the WASM backend (>1 starts tfjs' threaded build, ./wasm_threads.ts; if it
   * cannot start, the plain build runs with 1). Ignored by the other backends.
   */
  wasmThreads?: number;
  /** Where WebGPU comes from (tests inject simulated adapters); default: navigator.gpu or Dawn. */
  gpuSource?: GpuSource;
}

/**
 * Picks and initialises the backend once per process (per worker thread). A second call returns
 * the first choice (and throws if a different explicit backend is asked for).
 */
export async function initBackend(choice: BackendChoice = 'auto', options: BackendOptions = {}): Promise<BackendName> {
  // The same choice again (a worker, a second run in this process) gets what the first call got,
  // including a fallback from webgpu to WASM.
  if (initialised && choice === requested) return initialised;
  if (initialised) {
    const want: Record<BackendChoice, BackendName | null> = {
      auto: null, 'tfjs-node-gpu': 'tensorflow-gpu', webgpu: 'webgpu', 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu',
    };
    if (want[choice] && want[choice] !== initialised && !(want[choice] === 'tensorflow-gpu' && initialised === 'tensorflow')) {
      throw new Error(`Error in initBackend: backend already initialised as ${initialised}, cannot switch to ${choice}`);
    }
    return initialised;
  }
  // An explicit `webgpu` that finds no adapter falls back to WASM too (with the reason in the log):
  // a run asked for the GPU should still run where there is none.
  const order: BackendChoice[] = choice === 'auto' ? BACKEND_CHOICES.filter((c) => c !== 'auto') : choice === 'webgpu' ? ['webgpu', 'wasm', 'cpu'] : [choice];
  for (const c of order) {
    if (c === 'webgpu') {
      const r = await initWebGpu(choice === 'webgpu', options.gpuSource);
      if (r.adapter) {
        adapter = r.adapter;
        initialised = 'webgpu';
        notes.push(`WebGPU adapter: ${describeAdapter(r.adapter)}`);
      } else {
        notes.push(`WebGPU not used: ${r.reason}; ${choice === 'webgpu' ? 'falling back to WASM' : 'trying the CPU backends'}`);
      }
    } else if (c === 'tfjs-node-gpu' && (await tryImport('@tensorflow/tfjs-node-gpu')) && (await tf.setBackend('tensorflow'))) {
      initialised = 'tensorflow-gpu';
    } else if (c === 'tfjs-node' && (await tryImport('@tensorflow/tfjs-node')) && (await tf.setBackend('tensorflow'))) {
      initialised = 'tensorflow';
    } else if (c === 'wasm' && (await initWasm(options.wasmThreads ?? 1))) {
      initialised = 'wasm';
    } else if (c === 'cpu' && (await tf.setBackend('cpu'))) {
      initialised = 'cpu';
    }
    if (initialised) break;
  }
  if (!initialised) throw new Error(`Error in initBackend: no usable backend for choice ${choice}`);
  requested = choice;
  await tf.ready();
  await registerGradients();
  return initialised;
}

let wasmPathsSet = false;

async function initWasm(threads = 1): Promise<boolean> {
  const dir = wasmDir();
  if (!existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm')) && !existsSync(join(dir, 'tfjs-backend-wasm.wasm'))) return false;
  await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) setWasmPaths(dir);
  wasmPathsSet = true;
  if (threads > 1 && existsSync(join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'))) {
    try {
      wasmThreads = await startThreadedWasm(threads, setThreadsCount, getThreadsCount);
      registerWasmTrainingKernels();
      return true;
    } catch (e) {
      process.emitWarning(`Fieldwork: tfjs' threaded WASM build did not start (${(e as Error)?.message ?? e}); using the single-threaded build`);
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      setThreadsCount(1);
    }
  }
  wasmThreads = 1;
  try {
    if (!(await tf.setBackend('wasm'))) return false;
  } catch {
    return false;
  }
  registerWasmTrainingKernels();
  return true;
}

/** For tests: make an additional backend available and active without changing the recorded choice. */
export async function useBackendForTest(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') {
    if (!tf.findBackend('wasm') || tf.getBackend() !== 'wasm') {
      if (!(await initWasm())) throw new Error('Error in useBackendForTest: wasm backend unavailable');
    }
  } else {
    await tf.setBackend('cpu');
  }
  await tf.ready();
  await registerGradients();
}
