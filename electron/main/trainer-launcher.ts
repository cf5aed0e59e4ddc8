// How the app starts trainer processes: `utilityProcess.fork` of the trainer's utility-entry.mjs — a Node
// process of Electron's own binary that needs no RunAsNode fuse (so the fuse is off: nobody can run arbitrary
// JS under the app's identity with ELECTRON_RUN_AS_NODE). Packaged, the trainer is the JavaScript bundle
// dist/trainer/utility-entry.mjs (build/bundle-trainer.mjs), read from app.asar.unpacked (its worker threads
// and the WASM binaries need real files); in development, trainer/utility-entry.mjs runs the sources through tsx.
//
// The services expect a ChildProcess (stdout, stderr, 'exit', 'close', 'error', kill); UtilityChild adapts a
// UtilityProcess to that. MessagePorts: pass `connect` to get each new trainer's UtilityProcess right after
// it is forked, and `utility.postMessage(message, [port])` there (e.g. a MessageChannelMain's port2 for the GPU
// host); the trainer receives it on `process.parentPort` (globalThis.fieldworkParentPort).
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { TrainerLauncher } from '../services/runs.ts';

export interface TrainerCommandInputs {
  isPackaged: boolean;
  /** app.getAppPath(): the repo root in development, …/resources/app.asar when packaged. */
  appPath: string;
}

/** The subset of Electron's UtilityProcess this launcher uses. */
export interface UtilityProcessLike {
  readonly pid?: number;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  kill(): boolean;
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(event: 'spawn', listener: () => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'error', listener: (type: string, location: string, report: string) => void): this;
}

export interface UtilityForkOptions {
  env?: NodeJS.ProcessEnv;
  stdio?: 'pipe' | 'ignore' | 'inherit' | ['ignore' | 'pipe', 'ignore' | 'pipe', 'ignore' | 'pipe'];
  serviceName?: string;
  cwd?: string;
}

/** Electron's utilityProcess (or a stand-in in tests). */
export interface UtilityProcessApi {
  fork(modulePath: string, args?: string[], options?: UtilityForkOptions): UtilityProcessLike;
}

/** The module the utility process runs: the bundle when packaged, the sources in development. */
export function trainerEntry(input: TrainerCommandInputs): string {
  if (input.isPackaged) return join(`${input.appPath}.unpacked`, 'dist', 'trainer', 'utility-entry.mjs');
  return join(input.appPath, 'trainer', 'utility-entry.mjs');
}

/** A UtilityProcess seen as the ChildProcess the services use: stdout/stderr, 'exit' then 'close', kill(). */
export class UtilityChild extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly utility: UtilityProcessLike;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  #killedWith: NodeJS.Signals | null = null;

  constructor(utility: UtilityProcessLike) {
    super();
    this.utility = utility;
    let open = 0;
    let exited = false;
    const maybeClose = () => {
      if (exited && open === 0) this.emit('close', this.exitCode, this.signalCode);
    };
    for (const [from, to] of [[utility.stdout, this.stdout], [utility.stderr, this.stderr]] as const) {
      if (!from) {
        to.end();
        continue;
      }
      open++;
      from.pipe(to);
      to.once('finish', () => {
        open--;
        maybeClose();
      });
    }
    utility.on('exit', (code) => {
      exited = true;
      this.exitCode = this.#killedWith ? null : code;
      this.signalCode = this.#killedWith;
      this.emit('exit', this.exitCode, this.signalCode);
      // A utility process's pipes may stay open a moment after exit; end ours so 'close' follows.
      setTimeout(() => {
        if (!this.stdout.writableEnded) this.stdout.end();
        if (!this.stderr.writableEnded) this.stderr.end();
      }, 1000).unref();
      maybeClose();
    });
    utility.on('error', (type, location) => this.emit('error', new Error(`the trainer process failed: ${type}${location ? ` at ${location}` : ''}`)));
  }

  get pid(): number | undefined {
    return this.utility.pid;
  }

  /** A utility process takes no signal: any kill ends it (SIGTERM on POSIX). Reported as the signal asked for. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exitCode !== null || this.signalCode !== null) return false;
    this.#killedWith = signal;
    if (signal === 'SIGKILL' && this.utility.pid !== undefined) {
      try {
        process.kill(this.utility.pid, 'SIGKILL');
        return true;
      } catch {
        // Already gone: fall through to the utility process's own kill.
      }
    }
    return this.utility.kill();
  }
}

export interface ElectronTrainerLauncherOptions {
  utilityProcess: UtilityProcessApi;
  env?: NodeJS.ProcessEnv;
  /** Called with each trainer's UtilityProcess right after the fork (to hand it MessagePorts). */
  connect?: (utility: UtilityProcessLike, args: string[]) => void;
}

export function electronTrainerLauncher(input: TrainerCommandInputs, options: ElectronTrainerLauncherOptions): TrainerLauncher {
  const entry = trainerEntry(input);
  return (args) => {
    const utility = options.utilityProcess.fork(entry, args, {
      env: { ...(options.env ?? process.env) },
      stdio: ['ignore', 'pipe', 'pipe'],
      serviceName: 'Fieldwork trainer',
    });
    options.connect?.(utility, args);
    return new UtilityChild(utility) as unknown as ChildProcess;
  };
}
