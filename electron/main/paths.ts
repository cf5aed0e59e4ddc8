// Where things are, packaged or not. In development everything is under the repo; packaged, the app code
// (main, preload, renderer/dist) is in app.asar, resources/ is copied next to it (process.resourcesPath) and
// the trainer with its WASM binaries is unpacked to app.asar.unpacked/.
import { join, resolve } from 'node:path';

export interface AppPaths {
  userDataDir: string;
  resourcesDir: string;
  rendererDir: string;
  preloadPath: string;
  /** Window icon (Linux/Windows); undefined when there is none. */
  iconPath?: string;
  /** tfjs WASM binaries as the trainer should find them (FIELDWORK_WASM_DIR), packaged builds only. */
  wasmDir?: string;
}

export interface PathInputs {
  isPackaged: boolean;
  /** app.getAppPath(): the repo root in development, …/resources/app.asar when packaged. */
  appPath: string;
  /** process.resourcesPath (packaged only). */
  resourcesPath: string | undefined;
  /** app.getPath('userData'). */
  userDataDir: string;
  /** Folder of the bundled main script (dist/electron/main). */
  mainDir: string;
}

/** Relative to the app root (in the asar) — also what build/dist-check.mjs looks for. */
export const WASM_DIR_IN_APP = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';

export function resolveAppPaths(input: PathInputs): AppPaths {
  const appRoot = resolve(input.appPath);
  const preloadPath = resolve(input.mainDir, '..', 'preload.cjs');
  const rendererDir = join(appRoot, 'renderer', 'dist');
  if (input.isPackaged) {
    if (!input.resourcesPath) throw new Error('process.resourcesPath is not set in a packaged app');
    const resources = resolve(input.resourcesPath);
    return {
      userDataDir: input.userDataDir,
      resourcesDir: resources,
      rendererDir,
      preloadPath,
      iconPath: join(resources, 'icon.png'),
      wasmDir: join(resources, 'app.asar.unpacked', ...WASM_DIR_IN_APP.split('/')),
    };
  }
  const resourcesDir = join(appRoot, 'resources');
  return { userDataDir: input.userDataDir, resourcesDir, rendererDir, preloadPath, iconPath: join(resourcesDir, 'icon.png') };
}

/** Environment the trainer child inherits: where its WASM binaries are when packaged. */
export function trainerEnvironment(paths: AppPaths, env: NodeJS.ProcessEnv): void {
  if (paths.wasmDir && !env.FIELDWORK_WASM_DIR) env.FIELDWORK_WASM_DIR = paths.wasmDir;
}
