// The pool's side of a shard (./data_parallel.ts): requests by id, replies matched to them, and a failure
// that rejects everything pending. Two carriers: a worker thread of this process (WorkerShard), and a
// remote port (RemoteShard) — the desktop app's GPU host page behind a MessagePort, or a test's bridge.
import { Worker } from 'node:worker_threads';
import { GpuDeviceLostError, type GpuAdapterRecord } from '../backend/webgpu.ts';
import type { MaskRcnnOptions } from '../model/mask_rcnn.ts';
import type { FromWorker, ToWorker, WorkerInit } from './messages.ts';

/** What DataParallel needs of a shard. */
export interface Shard {
  readonly ready: Promise<void>;
  /** (store, version) of the weights this shard holds. */
  seen: { store: object | null; version: number };
  ask(msg: ToWorker, transfer?: ArrayBuffer[]): Promise<FromWorker>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
}

/** Request/reply bookkeeping shared by both carriers. */
abstract class ShardLink implements Shard {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  protected dead: Error | null = null;
  seen: { store: object | null; version: number } = { store: null, version: -1 };
  abstract readonly ready: Promise<void>;

  protected abstract send(msg: ToWorker & { id: number }, transfer: ArrayBuffer[]): void;
  abstract close(): Promise<void>;

  /** A reply (or a failure) that came in. */
  protected receive(m: FromWorker): void {
    if (m.type === 'ready' || m.type === 'failed') return;
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (m.type === 'error') p.reject(new Error(m.message));
    else if (m.type === 'lost') { this.fail(new GpuDeviceLostError(lostMessage(m.reason))); p.reject(this.dead!); }
    else p.resolve(m);
  }

  protected fail(e: Error): void {
    if (!this.dead) this.dead = e;
    for (const p of this.#pending.values()) p.reject(this.dead);
    this.#pending.clear();
  }

  ask(msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.send({ ...msg, id }, transfer);
    });
  }
}

/** As ../backend/webgpu.ts assertDeviceAlive words it: the run ends, its last checkpoint stays. */
export function lostMessage(reason: string): string {
  return `Error in training: ${reason}; the last checkpoint is intact — resume the run, or start it on backend "wasm"`;
}

/** A worker thread of this process (./worker.ts), with its own WASM or CPU backend. */
export class WorkerShard extends ShardLink {
  readonly worker: Worker;
  #closing = false;
  readonly ready: Promise<void>;

  constructor(readonly index: number, init: WorkerInit) {
    super();
    this.worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: init });
    let onReady: () => void = () => {};
    let onFail: (e: Error) => void = () => {};
    this.ready = new Promise<void>((res, rej) => { onReady = res; onFail = rej; });
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') { onReady(); return; }
      if (m.type === 'failed') { this.fail(new Error(`Error in DataParallel: worker ${index} could not start: ${m.message}`)); onFail(this.dead!); return; }
      this.receive(m);
    });
    this.worker.on('error', (e) => { this.fail(new Error(`Error in DataParallel: worker ${index} crashed: ${e.message}`)); onFail(this.dead!); });
    this.worker.on('exit', (code) => {
      if (!this.#closing) this.fail(new Error(`Error in DataParallel: worker ${index} stopped unexpectedly (exit code ${code})`));
      onFail(this.dead ?? new Error(`Error in DataParallel: worker ${index} closed`));
    });
  }

  protected send(msg: ToWorker & { id: number }, transfer: ArrayBuffer[]): void {
    this.worker.postMessage(msg, transfer);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.worker.terminate();
  }
}

/**
 * A port to a shard served elsewhere. Electron's MessagePortMain fits with a thin adapter
 * (trainer/gpu_host/host_port.ts); it copies typed arrays instead of transferring them, which is
 * why `transfer` is only a hint.
 */
export interface RemotePort {
  postMessage(message: ToWorker & { id: number }, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: FromWorker) => void): void;
  /** Called once when the other side goes away (the host window closed or crashed). */
  onClose(handler: () => void): void;
  close(): void;
}

/** What a remote shard said when it started. */
export interface RemoteReady {
  backend: string;
  adapter?: GpuAdapterRecord;
}

/**
 * A shard behind a RemotePort. It says `hello` at once: `started` resolves with the host's backend
 * and adapter (so the trainer can choose before building a model), or rejects with why the host could
 * not start. init() then sends the model options. A host that closes or loses its device fails every
 * pending request, so the step in flight is not applied and the run ends with the reason.
 */
export class RemoteShard extends ShardLink {
  readonly ready: Promise<void>;
  readonly started: Promise<RemoteReady>;
  #closed = false;

  constructor(readonly port: RemotePort, readonly label = 'the GPU host') {
    super();
    let onReady: (r: RemoteReady) => void = () => {};
    let onFail: (e: Error) => void = () => {};
    this.started = new Promise<RemoteReady>((res, rej) => { onReady = res; onFail = rej; });
    this.started.catch(() => {});
    this.ready = this.started.then(() => {});
    this.ready.catch(() => {});
    port.onMessage((m) => {
      if (m.type === 'ready') { onReady({ backend: m.backend ?? 'unknown', ...(m.adapter ? { adapter: m.adapter } : {}) }); return; }
      if (m.type === 'failed') { this.fail(new Error(`Error in DataParallel: ${label} could not start: ${m.message}`)); onFail(this.dead!); return; }
      this.receive(m);
    });
    port.onClose(() => {
      if (this.#closed) return;
      this.fail(new GpuDeviceLostError(lostMessage(`${label} went away (its window closed or crashed)`)));
      onFail(this.dead!);
    });
    port.postMessage({ type: 'hello', id: 0 });
  }

  /** Builds the shard's model copy from `options` (after `started`). */
  async init(options: MaskRcnnOptions): Promise<void> {
    await this.started;
    const r = await this.ask({ type: 'init', options });
    if (r.type !== 'initialised') throw new Error(`Error in RemoteShard: ${this.label} answered ${r.type} to init`);
  }

  protected send(msg: ToWorker & { id: number }, transfer: ArrayBuffer[]): void {
    this.port.postMessage(msg, transfer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.dead) this.port.postMessage({ type: 'close', id: 0 });
    this.port.close();
  }
}
