// Electron main entry (bundled to dist/electron/main/index.js by build/bundle-electron.mjs).
import * as electron from 'electron';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Workbench } from '../services/workbench.ts';
import { startApp } from './app.ts';
import { electronTrainerLauncher } from './trainer-launcher.ts';
import type { ElectronMain } from './module.ts';
import { APP_MODULES } from './modules.ts';
import { GpuHost, gpuHostModule, gpuHostPaths } from './gpu-host.ts';

const mainDir = dirname(fileURLToPath(import.meta.url));
const gpuPaths = gpuHostPaths(mainDir);
const gpuHost = new GpuHost({ BrowserWindow: electron.BrowserWindow, MessageChannelMain: electron.MessageChannelMain, preloadPath: gpuPaths.preloadPath, log: (m, e) => console.warn(m, e ?? '') });

startApp(electron as unknown as ElectronMain, {
  mainDir,
  modules: [...APP_MODULES, gpuHostModule(gpuHost, gpuPaths.pageDir)],
  resourcesPath: process.resourcesPath,
  createWorkbench: (paths) =>
    new Workbench({
      userDataDir: paths.userDataDir,
      resourcesDir: paths.resourcesDir,
      launchTrainer: electronTrainerLauncher({ isPackaged: electron.app.isPackaged, appPath: electron.app.getAppPath() }, { utilityProcess: electron.utilityProcess, connect: (utility) => gpuHost.connect(utility) }),
    }),
}).catch((err) => {
  console.error('[main] start-up failed:', err);
  electron.dialog.showErrorBox('Fieldwork could not start', err instanceof Error ? err.message : String(err));
  electron.app.exit(1);
});
