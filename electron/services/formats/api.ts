// The interchange methods of the WorkbenchApi's `coco` domain (detect, importDataset, exportDataset).
import type { CocoImportReport, DatasetExportRequest, DatasetExportResult, DatasetImportOptions, DetectedDataset } from '../../api.ts';
import { UserError } from '../errors.ts';
import type { Project } from '../project.ts';
import { detectFormat, importDataset } from './detect.ts';
import { exportDataset } from './export.ts';
import type { IngestParsedOptions } from './ingest.ts';

const needPath = (p: unknown, what: string) => {
  if (typeof p !== 'string' || p.trim() === '') throw new UserError(`Give the path of ${what}.`);
  return p.trim();
};

export function interchangeApi(project: () => Project, ingest: () => Pick<IngestParsedOptions, 'maxPixels' | 'onProgress'>, changed: <T>(report: T) => T) {
  return {
    async detect(path: string): Promise<DetectedDataset> {
      return detectFormat(needPath(path, 'a dataset folder or COCO JSON'));
    },
    async importDataset(path: string, options?: DatasetImportOptions): Promise<CocoImportReport & { found: string }> {
      const report = await importDataset(project(), needPath(path, 'a dataset folder or COCO JSON'), { ...(options ?? {}), ...ingest() });
      return changed(report);
    },
    async exportDataset(outDir: string, options: DatasetExportRequest): Promise<DatasetExportResult> {
      if (!options || typeof options !== 'object') throw new UserError('Choose an export format.');
      return exportDataset(project(), needPath(outDir, 'the folder to export into'), { format: options.format, split: options.split, copyImages: Boolean(options.copyImages) });
    },
  };
}
