// The WebGPU backend (@tensorflow/tfjs-backend-webgpu): the GPU of every desktop — Metal, D3D12,
// Vulkan — with nothing to install. Two hosts give it a `navigator.gpu`:
//  - Chromium (the desktop app's GPU host page, electron/main/gpu-host.ts): its own WebGPU;
//  - Node (the headless CLI, servers, CI): Dawn's bindings from the optional npm package `webgpu`.
// `auto` takes it only for a hardware adapter: a software one (SwiftShader, llvmpipe, WARP) emulates
// the GPU on the CPU tens of times slower than WASM, so it is used only when asked for by name.
import * as tf from '@tensorflow/tfjs-core';

/** The adapter a run used, as recorded in its log, its `started` event and its checkpoints. */
export interface GpuAdapterRecord {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU emulation of a GPU (never chosen by `auto`). */
  software: boolean;
  /** Where `navigator.gpu` came from. */
  host: 'chromium' | 'dawn-node';
}

/** The fields of GPUAdapterInfo we read (both hosts expose them; some may be empty strings). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b|software/i;

/**
 * Whether an adapter is a software rasteriser: the adapter says so (`isFallbackAdapter`), or its
 * vendor / architecture / device / description names a known one (SwiftShader reports vendor
 * "google", architecture "swiftshader"; Mesa's llvmpipe and lavapipe; Windows' WARP).
 */
export function isSoftwareAdapter(info: AdapterInfoLike): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => typeof s === 'string' && SOFTWARE_NAMES.test(s));
}

/** Where to find a WebGPU implementation; tests pass their own to simulate adapters. */
export interface GpuSource {
  /** A `navigator.gpu`-like object, or null with the reason there is none. */
  gpu(): Promise<{ gpu: GPU; host: GpuAdapterRecord['host'] } | { gpu: null; reason: string }>;
}

/** Chromium's navigator.gpu when this runs in a page, else Dawn's Node bindings (npm `webgpu`, optional). */
export const defaultGpuSource: GpuSource = {
  async gpu() {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (nav?.gpu) return { gpu: nav.gpu, host: typeof process === 'undefined' || !process.versions?.node ? 'chromium' : 'dawn-node' };
    if (typeof process === 'undefined' || !process.versions?.node) return { gpu: null, reason: 'this page has no navigator.gpu (WebGPU is off or unsupported)' };
    let dawn: { create(flags: string[]): GPU; globals: Record<string, unknown> };
    try {
      dawn = (await import('webgpu' as string)) as typeof dawn;
    } catch (e) {
      return { gpu: null, reason: `the optional package "webgpu" (Dawn for Node) is not installed or does not load here (${firstLine(e)})` };
    }
    // tfjs-backend-webgpu reads navigator.gpu and the GPU* constants (GPUBufferUsage…) as globals.
    for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    const gpu = dawn.create([]);
    const navigator = (globalThis as { navigator?: object }).navigator;
    if (navigator) Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js ${process.version}` }, configurable: true, writable: true });
    return { gpu, host: 'dawn-node' };
  },
};

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/** The adapter tfjs will take (it asks for 'high-performance'), or why there is none. */
export async function probeAdapter(source: GpuSource = defaultGpuSource): Promise<{ adapter: GpuAdapterRecord } | { adapter: null; reason: string }> {
  const found = await source.gpu();
  if (!found.gpu) return { adapter: null, reason: found.reason };
  let adapter: GPUAdapter | null;
  try {
    adapter = await found.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { adapter: null, reason: `requestAdapter failed: ${firstLine(e)}` };
  }
  if (!adapter) return { adapter: null, reason: 'no WebGPU adapter (no GPU driver with Vulkan / Metal / D3D12 support was found)' };
  const info = ((adapter as GPUAdapter & { info?: AdapterInfoLike }).info ?? {}) as AdapterInfoLike;
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? info.isFallbackAdapter;
  return {
    adapter: {
      vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '',
      software: isSoftwareAdapter({ ...info, isFallbackAdapter: fallback }), host: found.host,
    },
  };
}

/** "google swiftshader (SwiftShader driver 5.0.0, …) via Dawn's Node bindings — software: …" — for logs and the Train screen. */
export function describeAdapter(a: GpuAdapterRecord): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = [a.description, a.device].filter((s) => s && s !== a.architecture).join(', ');
  return `${name}${detail ? ` (${detail})` : ''} via ${a.host === 'dawn-node' ? "Dawn's Node bindings" : "Chromium's WebGPU"}${a.software ? ' — software: a CPU emulation, not a GPU' : ''}`;
}

let lostReason: string | null = null;

/**
 * Why the GPU device was lost (driver reset, out of memory, the host page closing), or null.
 * The training loop checks it after each step and ends the run with it; the last checkpoint on
 * disk is from before the loss and stays intact.
 */
export function webgpuLostReason(): string | null {
  return lostReason;
}

/** Thrown where a run must end because its GPU device is gone (the last checkpoint is kept). */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

/** Throws GpuDeviceLostError when the device was lost or reported an error; the run ends with its reason. */
export function assertDeviceAlive(): void {
  if (lostReason) throw new GpuDeviceLostError(`Error in training: ${lostReason}; the last checkpoint is intact — resume the run, or start it on backend "wasm"`);
}

/** For tests: simulate a device loss (null clears it). */
export function simulateDeviceLostForTest(reason: string | null): void {
  lostReason = reason;
}

/**
 * Starts tfjs' WebGPU backend on the adapter `probeAdapter` saw. `allowSoftware` is false for
 * `auto`. Returns the adapter, or null with the reason (the caller falls back and logs it).
 */
export async function initWebGpu(allowSoftware: boolean, source: GpuSource = defaultGpuSource): Promise<{ adapter: GpuAdapterRecord } | { adapter: null; reason: string }> {
  const probe = await probeAdapter(source);
  if (!probe.adapter) return probe;
  if (probe.adapter.software && !allowSoftware) {
    return { adapter: null, reason: `the only WebGPU adapter is ${describeAdapter(probe.adapter)}; auto does not train on a software adapter (set backend "webgpu" to force it)` };
  }
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return { adapter: null, reason: 'tfjs could not start its WebGPU backend on this adapter' };
    await tf.ready();
  } catch (e) {
    return { adapter: null, reason: `tfjs' WebGPU backend failed to start: ${firstLine(e)}` };
  }
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  device?.lost.then((info) => {
    if (info.reason !== 'destroyed') lostReason = `the GPU device was lost (${info.reason || 'unknown'}): ${info.message || 'no message'}`;
  });
  // Validation errors (a shader that does not compile, an allocation over the limits) otherwise
  // only print a warning; recording them ends the run at the next step instead of training on garbage.
  device?.addEventListener?.('uncapturederror', (ev: Event) => {
    lostReason ??= `GPU error: ${firstLine((ev as GPUUncapturedErrorEvent).error?.message ?? ev)}`;
  });
  return probe;
}
