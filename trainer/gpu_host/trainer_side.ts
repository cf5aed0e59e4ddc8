// The trainer process's end of the desktop app's GPU host. Main (electron/main/gpu-host.ts) posts each
// trainer one message on its parent port right after the fork: `{type: 'gpu-host', adapter?}` carrying a
// MessagePortMain to the host page, or `{type: 'gpu-host-unavailable', reason}`. A run on `webgpu` (or
// `auto`, for a hardware adapter) then trains through that port: the page computes, this process keeps
// the data, the optimiser (on WASM) and the run folder. Without a parent port (the CLI) nothing changes:
// WebGPU comes from Dawn in this process, as before. A host that does not start means WASM, with the
// reason in the run log.
import type { BackendChoice } from '../common/config.ts';
import { describeAdapter, type GpuAdapterRecord, type GpuSource } from '../backend/webgpu.ts';
import type { FromWorker } from '../parallel/messages.ts';
import { RemoteShard, type RemotePort } from '../parallel/shards.ts';
import type { GpuHostOffer } from './names.ts';

/** Electron's MessagePortMain, as far as it is used here. */
export interface PortMainLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

/** A utility process's `process.parentPort`, as far as it is used here. */
export interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown; ports?: readonly PortMainLike[] }) => void): unknown;
}

type Offer = { port: PortMainLike; adapter?: GpuAdapterRecord } | { unavailable: string };

let watched: ParentPortLike | null = null;
let offer: Promise<Offer> | null = null;

/**
 * Listens on the parent port for main's GPU host offer (process-main.ts calls it first thing, so an
 * offer posted right after the fork is not missed) and exposes the port as globalThis.fieldworkParentPort.
 */
export function watchParentPort(parent: ParentPortLike): void {
  if (watched === parent) return;
  watched = parent;
  (globalThis as { fieldworkParentPort?: unknown }).fieldworkParentPort = parent;
  offer = new Promise<Offer>((resolve) => {
    parent.on('message', (e) => {
      const d = e.data as GpuHostOffer | null;
      if (d?.type === 'gpu-host' && e.ports?.[0]) resolve({ port: e.ports[0], ...(d.adapter ? { adapter: d.adapter } : {}) });
      else if (d?.type === 'gpu-host-unavailable') resolve({ unavailable: String(d.reason) });
    });
  });
}

/** For tests: forget the watched parent port. */
export function resetGpuHostForTest(): void {
  watched = null;
  offer = null;
  delete (globalThis as { fieldworkParentPort?: unknown }).fieldworkParentPort;
}

/** A MessagePortMain as the pool's RemotePort. It copies typed arrays (it transfers only ports). */
export function portMainAsRemote(port: PortMainLike): RemotePort {
  let started = false;
  const start = () => { if (!started) { started = true; port.start(); } };
  return {
    postMessage: (m) => port.postMessage(m),
    onMessage: (h) => { port.on('message', (e) => h(e.data as FromWorker)); start(); },
    onClose: (h) => { port.on('close', h); },
    close: () => port.close(),
  };
}

/** What connectGpuHost decided. */
export type GpuHostChoice =
  /** Train through the host: its shard (started, no model yet) and adapter. */
  | { shard: RemoteShard; adapter: GpuAdapterRecord }
  /** No host to train on here: start the backend without WebGPU, with this reason (a GpuSource that has none). */
  | { noGpu: GpuSource; reason: string };

const noGpu = (reason: string): GpuHostChoice => ({ reason, noGpu: { gpu: async () => ({ gpu: null, reason }) } });

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${Math.round(ms / 1000)} s`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether this run trains through the app's GPU host. null: there is no parent port (the CLI) or the
 * run does not ask for WebGPU — start the backend as before. `auto` takes only a hardware adapter;
 * `webgpu` takes a software one too (as in-process WebGPU does).
 */
export async function connectGpuHost(choice: BackendChoice, timeoutMs = 30_000): Promise<GpuHostChoice | null> {
  if (choice !== 'webgpu' && choice !== 'auto') return null;
  if (!offer) {
    const parent = (globalThis as { fieldworkParentPort?: ParentPortLike }).fieldworkParentPort;
    if (!parent) return null;
    watchParentPort(parent);
  }
  let got: Offer;
  try {
    got = await within(offer!, timeoutMs, "the app's GPU host sent no port");
  } catch (e) {
    return noGpu((e as Error).message);
  }
  if ('unavailable' in got) return noGpu(`the app's GPU host is unavailable: ${got.unavailable}`);
  const shard = new RemoteShard(portMainAsRemote(got.port), "the app's GPU host");
  let ready;
  try {
    ready = await within(shard.started, timeoutMs, "the app's GPU host did not start WebGPU");
  } catch (e) {
    await shard.close();
    return noGpu((e as Error).message);
  }
  if (ready.backend !== 'webgpu' || !ready.adapter) {
    await shard.close();
    return noGpu(`the app's GPU host runs ${ready.backend}, not WebGPU`);
  }
  if (ready.adapter.software && choice === 'auto') {
    await shard.close();
    return noGpu(`the only WebGPU adapter is ${describeAdapter(ready.adapter)}; auto does not train on a software adapter (set backend "webgpu" to force it)`);
  }
  return { shard, adapter: ready.adapter };
}
