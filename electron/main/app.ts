// Start-up: build the context, run every module's beforeReady, then (after 'ready') every onReady.
import { readFile } from 'node:fs/promises';
import type { AppContext, AppModule, ElectronMain } from './module.ts';
import { APP_MODULES } from './modules.ts';
import { resolveAppPaths, type AppPaths } from './paths.ts';

export interface StartOptions {
  /** Folder of the bundled main script (dist/electron/main). */
  mainDir: string;
  /** Builds the services once paths are known (electron/services/workbench.ts in the app). */
  createWorkbench(paths: AppPaths): AppContext['workbench'];
  modules?: readonly AppModule[];
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  resourcesPath?: string;
  readFile?: AppContext['readFile'];
  log?: AppContext['log'];
}

export async function readRegularFile(path: string): Promise<Uint8Array | null> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Returns the context once every module is enabled, or null when start-up stopped early (second instance). */
export async function startApp(electron: ElectronMain, options: StartOptions): Promise<AppContext | null> {
  const { app } = electron;
  const paths = resolveAppPaths({
    isPackaged: app.isPackaged,
    appPath: app.getAppPath(),
    resourcesPath: options.resourcesPath,
    userDataDir: app.getPath('userData'),
    mainDir: options.mainDir,
  });
  const log = options.log ?? ((message: string, err?: unknown) => (err === undefined ? console.warn(message) : console.error(message, err)));
  const modules = options.modules ?? APP_MODULES;
  // The workbench comes after the single-instance check (a second instance must not open the store).
  const ctx = {
    electron,
    paths,
    workbench: undefined as unknown as AppContext['workbench'],
    platform: options.platform ?? process.platform,
    env: options.env ?? process.env,
    readFile: options.readFile ?? readRegularFile,
    log,
    mainWindow: null,
  } satisfies AppContext as AppContext;

  for (const module of modules) {
    if (module.beforeReady?.(ctx) === false) return null;
  }
  ctx.workbench = options.createWorkbench(paths);
  await app.whenReady();
  for (const module of modules) {
    try {
      await module.onReady?.(ctx);
    } catch (err) {
      log(`[main] module ${module.name} failed to start`, err);
      throw err;
    }
  }
  return ctx;
}
