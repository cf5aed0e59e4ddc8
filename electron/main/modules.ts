// The app's modules, one concern each; app.ts runs them in the order of APP_MODULES.
import { createAppProtocolHandler } from './app-protocol.ts';
import { pickPaths } from './dialogs.ts';
import { createApiDispatcher } from '../services/dispatch.ts';
import { PathGuard } from '../services/path-guard.ts';
import { forwardEvents, registerIpc } from './ipc.ts';
import { createMediaProtocolHandler } from './media-protocol.ts';
import type { AppModule } from './module.ts';
import { guardWebContents } from './navigation.ts';
import { trainerEnvironment } from './paths.ts';
import { denyAllPermissions } from './permissions.ts';
import { APP_SCHEME, MEDIA_SCHEME, PRIVILEGED_SCHEMES } from './schemes.ts';
import { createMainWindow } from './window.ts';
import type { WebContents } from 'electron';

/** One running instance: a second launch focuses the first window and exits. */
export const singleInstance: AppModule = {
  name: 'single-instance',
  beforeReady(ctx) {
    const { app } = ctx.electron;
    if (!app.requestSingleInstanceLock()) {
      app.quit();
      return false;
    }
    app.on('second-instance', () => {
      const win = ctx.mainWindow;
      if (!win || win.isDestroyed()) return;
      if (win.isMinimized()) win.restore();
      win.focus();
    });
  },
};

/** Every renderer sandboxed, whatever a window's own options say (before 'ready', as Electron requires). */
export const sandboxEverything: AppModule = {
  name: 'sandbox',
  beforeReady(ctx) {
    ctx.electron.app.enableSandbox();
  },
};

/** fieldwork: and fieldwork-media: are standard + secure; Electron accepts this only before 'ready'. */
export const privilegedSchemes: AppModule = {
  name: 'privileged-schemes',
  beforeReady(ctx) {
    ctx.electron.protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES);
  },
};

/** The trainer child inherits where its unpacked WASM binaries are (packaged builds). */
export const trainerEnv: AppModule = {
  name: 'trainer-environment',
  beforeReady(ctx) {
    trainerEnvironment(ctx.paths, ctx.env);
  },
};

/** Navigation, window.open and <webview> guards on every WebContents the app ever creates. */
export const webContentsGuards: AppModule = {
  name: 'web-contents-guards',
  beforeReady(ctx) {
    ctx.electron.app.on('web-contents-created', (_event: unknown, contents: WebContents) => {
      guardWebContents(contents, ctx.electron.shell, (m) => ctx.log(m));
    });
  },
};

export const permissions: AppModule = {
  name: 'permissions',
  onReady(ctx) {
    denyAllPermissions(ctx.electron.session.defaultSession);
  },
};

export const protocols: AppModule = {
  name: 'protocols',
  onReady(ctx) {
    const { protocol } = ctx.electron;
    protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir: ctx.paths.rendererDir, readFile: ctx.readFile, mounts: ctx.appMounts }));
    protocol.handle(MEDIA_SCHEME, createMediaProtocolHandler({ workbench: ctx.workbench, readFile: ctx.readFile, log: ctx.log }));
  },
};

export const ipc: AppModule = {
  name: 'ipc',
  onReady(ctx) {
    const { BrowserWindow, dialog, ipcMain } = ctx.electron;
    // Paths the renderer sends are accepted only inside what the user picked in a dialog main showed
    // (each result becomes approved: a capability the page cannot forge) and the app's data folder.
    const guard = new PathGuard([ctx.paths.userDataDir], "Choose it with the app's Browse… button (a system dialog) first.");
    registerIpc(
      ipcMain,
      createApiDispatcher(ctx.workbench.api, { guard, log: ctx.log, label: 'ipc' }),
      async (event, options) => {
        const sender = (event as { sender?: WebContents }).sender;
        const picked = await pickPaths(dialog, sender ? BrowserWindow.fromWebContents(sender) : null, options);
        for (const path of picked) guard.approve(path);
        return picked;
      },
      ctx.log,
    );
    forwardEvents(ctx.workbench, () => BrowserWindow.getAllWindows().filter((w) => !w.isDestroyed()).map((w) => w.webContents));
  },
};

export const mainWindow: AppModule = {
  name: 'main-window',
  onReady(ctx) {
    const { app, BrowserWindow } = ctx.electron;
    const open = () => {
      ctx.mainWindow = createMainWindow(BrowserWindow, ctx.paths.preloadPath, ctx.platform === 'darwin' ? undefined : ctx.paths.iconPath);
      ctx.mainWindow.on('closed', () => {
        ctx.mainWindow = null;
      });
    };
    open();
    // macOS: clicking the dock icon with no window open opens one again.
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) open();
    });
  },
};

export const lifecycle: AppModule = {
  name: 'lifecycle',
  onReady(ctx) {
    const { app } = ctx.electron;
    app.on('window-all-closed', () => {
      if (ctx.platform !== 'darwin') app.quit();
    });
    app.on('will-quit', () => ctx.workbench.close());
  },
};

export const APP_MODULES: readonly AppModule[] = [
  singleInstance,
  sandboxEverything,
  privilegedSchemes,
  trainerEnv,
  webContentsGuards,
  permissions,
  protocols,
  ipc,
  mainWindow,
  lifecycle,
];
