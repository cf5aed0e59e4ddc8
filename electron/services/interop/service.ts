// The app's side of scale-out (WorkbenchApi.interop): the same export-run / import-run as the CLI.
import type { ExportRunRequest, InteropApi } from '../../api.ts';
import { UserError } from '../errors.ts';
import type { Project } from '../project.ts';
import { exportRun } from './export_run.ts';
import { importRun } from './import_run.ts';

/** interopDir: the app's resources/interop (process.resourcesPath in a packaged app). */
export function interopService(project: () => Project, runsChanged: <T>(value: T) => T, interopDir: string): InteropApi {
  return {
    async exportRun(request: ExportRunRequest) {
      if (!request || typeof request !== 'object') throw new UserError('Say what to export: engine and output folder.');
      if (typeof request.outDir !== 'string' || request.outDir.trim() === '') throw new UserError('Give the folder to export into.');
      const { outDir, engine, runId, preset, images, norm } = request;
      return exportRun(project(), outDir.trim(), { engine, runId: runId || undefined, preset: preset || undefined, images, norm, interopDir });
    },
    async importRun(source: string) {
      if (typeof source !== 'string' || source.trim() === '') throw new UserError('Give the exported folder (or its results JSON) to import.');
      return runsChanged(await importRun(project(), source.trim(), interopDir));
    },
  };
}
