// Which format a dataset folder holds, and the single import entry point over all formats.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CocoImportReport } from '../../api.ts';
import { importCoco, locateCocoFiles } from '../coco_import.ts';
import { UserError } from '../errors.ts';
import type { Project } from '../project.ts';
import { ingestParsed, type IngestParsedOptions } from './ingest.ts';
import { isVocFolder, parseVoc } from './voc.ts';
import { isLabelMeFolder, parseLabelMe } from './labelme.ts';
import { isYoloFolder, parseYolo, yoloFolders } from './yolo.ts';

export const IMPORT_FORMATS = ['coco', 'yolo', 'voc', 'labelme'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface DetectedFormat {
  format: ImportFormat;
  /** What was found, in one line, e.g. "YOLO: data.yaml, train/ val/ with images/ + labels/". */
  found: string;
}

export function detectFormat(path: string): DetectedFormat {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UserError(`${path}: no such file or folder.`);
  if (!statSync(abs).isDirectory()) {
    if (abs.toLowerCase().endsWith('.json')) return { format: 'coco', found: 'a COCO JSON file' };
    throw new UserError(`${path}: give a dataset folder or a COCO .json file.`);
  }
  if (isYoloFolder(abs)) {
    const folders = yoloFolders(abs).filter((f) => existsSync(f.labels));
    const yaml = readdirSync(abs).find((f) => /\.ya?ml$/i.test(f));
    return { format: 'yolo', found: `YOLO: ${yaml ?? 'no data.yaml'}; ${folders.map((f) => `${f.split} (${f.images.slice(abs.length + 1)})`).join(', ')}` };
  }
  if (isVocFolder(abs)) return { format: 'voc', found: `Pascal VOC: XML files${existsSync(join(abs, 'Annotations')) ? ' in Annotations/' : ''}${existsSync(join(abs, 'ImageSets', 'Main')) ? ', splits from ImageSets/Main' : ''}` };
  if (isLabelMeFolder(abs)) return { format: 'labelme', found: 'LabelMe: per-image JSON files with shapes' };
  try {
    const files = locateCocoFiles(abs);
    const cocoLike = files.filter((f) => readFileSync(f.jsonPath, 'utf8').slice(0, 1 << 20).includes('"images"'));
    if (cocoLike.length > 0) return { format: 'coco', found: `COCO: ${cocoLike.length} JSON file${cocoLike.length > 1 ? 's' : ''} (${cocoLike.map((f) => f.jsonPath.slice(abs.length + 1)).join(', ')})` };
  } catch {
    // not COCO either
  }
  throw new UserError(`${path}: no dataset format recognised (looked for YOLO images/ + labels/, Pascal VOC .xml, LabelMe .json, COCO .json).`);
}

export async function importDataset(project: Project, path: string, options: IngestParsedOptions & { format?: ImportFormat } = {}): Promise<CocoImportReport & { found: string }> {
  if (options.format !== undefined && !IMPORT_FORMATS.includes(options.format)) throw new UserError(`Unknown format "${options.format}"; use ${IMPORT_FORMATS.join(', ')}.`);
  const detected = options.format ? { format: options.format, found: `${options.format} (as asked)` } : detectFormat(path);
  const source = resolve(path);
  if (detected.format === 'coco') return { ...(await importCoco(project, path, options)), found: detected.found };
  const parsed = detected.format === 'yolo' ? parseYolo(source) : detected.format === 'voc' ? parseVoc(source) : parseLabelMe(source);
  return { ...(await ingestParsed(project, parsed, source, options)), found: detected.found };
}
