// Main is a list of small modules, each doing one thing, run in order: first every `beforeReady` (things
// Electron requires before its 'ready' event, such as privileged schemes), then every `onReady`.
// A module's `beforeReady` returning false stops start-up (the single-instance lock does that).
import type { App, BrowserWindow, Dialog, Protocol, Session, Shell, WebContents } from 'electron';
import type { AppPaths } from './paths.ts';
import type { IpcMainLike, WorkbenchLike } from './ipc.ts';
import type { BrowserWindowCtor } from './window.ts';
import type { MediaSource } from './media-protocol.ts';
import type { AppMount } from './app-protocol.ts';

/** The Electron main-process API the modules use; tests pass fakes with the same shape. */
export interface ElectronMain {
  app: Pick<App, 'requestSingleInstanceLock' | 'quit' | 'on' | 'whenReady' | 'getPath' | 'getAppPath' | 'isPackaged' | 'enableSandbox'> & Partial<Pick<App, 'commandLine'>>;
  BrowserWindow: BrowserWindowCtor & {
    getAllWindows(): BrowserWindow[];
    fromWebContents(contents: WebContents): BrowserWindow | null;
  };
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
  session: { defaultSession: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'> };
  ipcMain: IpcMainLike;
  dialog: Pick<Dialog, 'showOpenDialog'>;
  shell: Pick<Shell, 'openExternal'>;
}

export interface AppContext {
  electron: ElectronMain;
  paths: AppPaths;
  workbench: WorkbenchLike & MediaSource & { close(): void };
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** Reads a regular file, null when absent (fs is asar-aware in Electron's main process). */
  readFile(path: string): Promise<Uint8Array | null>;
  log(message: string, err?: unknown): void;
  /** The main window once created. */
  mainWindow: BrowserWindow | null;
  /** Extra folders the app protocol serves (the GPU host page); set before 'ready'. */
  appMounts?: AppMount[];
}

export interface AppModule {
  readonly name: string;
  beforeReady?(ctx: AppContext): void | false;
  onReady?(ctx: AppContext): void | Promise<void>;
}
