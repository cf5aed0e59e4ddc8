// How the app starts trainer processes: Electron's own binary run as Node (ELECTRON_RUN_AS_NODE), so no
// separate Node install is needed. Packaged, the trainer and the tsx loader are read from app.asar.unpacked
// (a child process cannot import from inside the asar); in development, from the repo.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TrainerLauncher } from '../services/runs.ts';

export interface TrainerCommandInputs {
  execPath: string;
  isPackaged: boolean;
  /** app.getAppPath(): the repo root in development, …/resources/app.asar when packaged. */
  appPath: string;
}

/** The argv (after the executable) that runs the trainer CLI with `args`. */
export function trainerCommand(input: TrainerCommandInputs, args: string[]): string[] {
  const root = input.isPackaged ? `${input.appPath}.unpacked` : input.appPath;
  const loader = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
  return ['--import', loader, join(root, 'trainer', 'cli.ts'), ...args];
}

export function electronTrainerLauncher(input: TrainerCommandInputs, env: NodeJS.ProcessEnv = process.env): TrainerLauncher {
  return (args) =>
    spawn(input.execPath, trainerCommand(input, args), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
    });
}
