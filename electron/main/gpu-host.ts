// The desktop app's GPU host: a hidden, sandboxed window that runs the GPU host page
// (trainer/gpu_host/page_entry.ts, bundled to dist/electron/gpu-host) on Chromium's own WebGPU, and one
// MessageChannelMain per trainer process between the two. port1 goes to the window
// (webContents.postMessage on GPU_PORT_CHANNEL; the window's own preload, electron/gpu-host-preload.ts,
// forwards it into the page — with contextIsolation the page never sees ipcRenderer); port2 goes to the
// trainer through the launcher's `connect` hook, with `{type: 'gpu-host'}`. The page computes; the
// trainer keeps its files, data and optimiser (trainer/gpu_host/trainer_side.ts). If the window cannot
// load, each trainer is told `{type: 'gpu-host-unavailable', reason}` and trains on WASM.
// Electron-free logic (options, switches, the hand-over) is unit-tested with a fake Electron.
import { resolve } from 'node:path';
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { GPU_PORT_CHANNEL, type GpuHostOffer } from '../../trainer/gpu_host/names.ts';
import { GPU_HOST_CSP } from './csp.ts';
import type { AppModule } from './module.ts';
import { APP_SCHEME, GPU_HOST_MOUNT } from './schemes.ts';
import type { UtilityProcessLike } from './trainer-launcher.ts';
import { secureWebPreferences, type BrowserWindowCtor } from './window.ts';

export const GPU_HOST_URL = `${APP_SCHEME}://app/${GPU_HOST_MOUNT}/index.html`;

/**
 * The hidden window: every item of the main window's secure webPreferences (sandbox, contextIsolation,
 * no Node integration, webSecurity…), its own preload, never shown, and not throttled while hidden
 * (a background window's timers and rAF are slowed, and the page's work is all promise callbacks).
 */
export function gpuHostWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    show: false,
    width: 320,
    height: 240,
    title: 'Fieldwork GPU host',
    skipTaskbar: true,
    focusable: false,
    webPreferences: { ...secureWebPreferences(preloadPath), backgroundThrottling: false },
  };
}

/**
 * Where the page bundle and the window's preload are, from the bundled main script's folder
 * (dist/electron/main, in app.asar when packaged): dist/electron/gpu-host and dist/electron/gpu-host-preload.cjs.
 */
export function gpuHostPaths(mainDir: string): { pageDir: string; preloadPath: string } {
  return { pageDir: resolve(mainDir, '..', 'gpu-host'), preloadPath: resolve(mainDir, '..', 'gpu-host-preload.cjs') };
}

/**
 * The app module: Linux's WebGPU switches and the page's mount before 'ready'; the host window closed
 * with the main window (a hidden window would otherwise keep 'window-all-closed' from quitting the app).
 */
export function gpuHostModule(host: Pick<GpuHost, 'close'>, pageDir: string): AppModule {
  return {
    name: 'gpu-host',
    beforeReady(ctx) {
      if (ctx.electron.app.commandLine) applyGpuHostSwitches(ctx.electron.app.commandLine, ctx.platform);
      ctx.appMounts = [...(ctx.appMounts ?? []), { prefix: GPU_HOST_MOUNT, dir: pageDir, csp: GPU_HOST_CSP }];
    },
    onReady(ctx) {
      ctx.mainWindow?.on('closed', () => host.close());
      ctx.electron.app.on('will-quit', () => host.close());
    },
  };
}

/** Command-line switches Chromium needs for WebGPU on Linux (electron issues #41763, #40929); none elsewhere. */
export function gpuHostSwitches(platform: NodeJS.Platform): [string, string?][] {
  if (platform !== 'linux') return [];
  return [['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']];
}

/** Sets them; must run before the app's 'ready' event. */
export function applyGpuHostSwitches(commandLine: { appendSwitch(name: string, value?: string): void }, platform: NodeJS.Platform): void {
  for (const [name, value] of gpuHostSwitches(platform)) {
    if (value === undefined) commandLine.appendSwitch(name);
    else commandLine.appendSwitch(name, value);
  }
}

/** Electron's MessageChannelMain, as far as it is used here. */
export interface MessageChannelLike {
  port1: unknown;
  port2: unknown;
}

export interface GpuHostDeps {
  BrowserWindow: BrowserWindowCtor;
  MessageChannelMain: new () => MessageChannelLike;
  /** dist/electron/gpu-host-preload.cjs */
  preloadPath: string;
  log(message: string, err?: unknown): void;
}

/** The window, created on the first trainer, and the hand-over of a port pair to each trainer. */
export class GpuHost {
  readonly #deps: GpuHostDeps;
  #window: BrowserWindow | null = null;
  #loaded: Promise<BrowserWindow> | null = null;

  constructor(deps: GpuHostDeps) {
    this.#deps = deps;
  }

  /** The loaded window (created once; again after it closed or failed to load). */
  #open(): Promise<BrowserWindow> {
    if (this.#loaded && this.#window && !this.#window.isDestroyed()) return this.#loaded;
    const win = new this.#deps.BrowserWindow(gpuHostWindowOptions(this.#deps.preloadPath));
    this.#window = win;
    win.on('closed', () => {
      if (this.#window === win) { this.#window = null; this.#loaded = null; }
    });
    win.webContents.on('render-process-gone', (_e: unknown, details: { reason?: string }) => {
      this.#deps.log(`[gpu-host] the GPU host page is gone (${details?.reason ?? 'unknown'}); the next run opens it again`);
      if (!win.isDestroyed()) win.destroy();
    });
    this.#loaded = win.loadURL(GPU_HOST_URL).then(() => win);
    this.#loaded.catch(() => {
      if (this.#window === win) { this.#window = null; this.#loaded = null; }
      if (!win.isDestroyed()) win.destroy();
    });
    return this.#loaded;
  }

  /**
   * The launcher's `connect` hook: gives the trainer its port to the host once it has spawned, or
   * the reason there is none. Trainers that do not train on WebGPU simply never use it.
   */
  connect(utility: UtilityProcessLike): void {
    const offer = (message: GpuHostOffer, ports: unknown[] = []) => utility.postMessage(message, ports);
    utility.on('spawn', () => {
      this.#open().then((win) => {
        const { port1, port2 } = new this.#deps.MessageChannelMain();
        win.webContents.postMessage(GPU_PORT_CHANNEL, null, [port1 as never]);
        offer({ type: 'gpu-host' }, [port2]);
      }, (err: unknown) => {
        const reason = `the GPU host window did not load: ${(err as Error)?.message ?? String(err)}`;
        this.#deps.log(`[gpu-host] ${reason}`);
        offer({ type: 'gpu-host-unavailable', reason });
      });
    });
  }

  close(): void {
    if (this.#window && !this.#window.isDestroyed()) this.#window.destroy();
    this.#window = null;
    this.#loaded = null;
  }
}
