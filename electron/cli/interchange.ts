// CLI for dataset interchange: `import-dataset` (COCO, YOLO, LabelMe, Pascal VOC) and `export`
// (COCO, YOLO detect / seg, Pascal VOC, LabelMe, PNG masks). Dispatched from fieldwork.ts.
import { parseArgs } from 'node:util';
import { isSplit } from '../services/splits.ts';
import { Project } from '../services/project.ts';
import { IMPORT_FORMATS, importDataset, type ImportFormat } from '../services/formats/detect.ts';
import { EXPORT_FORMATS, exportDataset, type ExportFormat } from '../services/formats/export.ts';
import type { CocoImportReport } from '../api.ts';
import { describeSkippedItem } from '../services/formats/common.ts';
import { plural } from '../../trainer/common/plural.ts';

type Out = { log: (line: string) => void; error: (line: string) => void };

/** One line per skipped item (file: image: annotation: reason), then where the full report is. */
export function printSkipped(report: CocoImportReport, out: Out): void {
  const skipped = report.skipped ?? [];
  if (skipped.length > 0) out.log(`  skipped ${skipped.length} item${skipped.length > 1 ? 's' : ''}:`);
  for (const s of skipped) out.log(`    ${describeSkippedItem(s)}`);
  if (report.reportPath) out.log(`  report: ${report.reportPath}`);
}

export class InterchangeUsageError extends Error {}

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>, count: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InterchangeUsageError((err as Error).message);
  }
  if (parsed.positionals.length !== count) throw new InterchangeUsageError('wrong number of arguments');
  return parsed;
}

/** `fieldwork import-dataset <project> <folder> [--format coco|yolo|voc|labelme] [--strict] [--split S] [--json]` */
export async function importDatasetCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, { format: { type: 'string' }, strict: { type: 'boolean' }, split: { type: 'string' }, json: { type: 'boolean' } }, 2);
  if (values.format !== undefined && !IMPORT_FORMATS.includes(values.format as ImportFormat)) throw new InterchangeUsageError(`--format must be ${IMPORT_FORMATS.join(', ')}, not "${values.format}"`);
  if (values.split !== undefined && !isSplit(values.split)) throw new InterchangeUsageError(`--split must be train, val or test, not "${values.split}"`);
  const project = Project.open(positionals[0]);
  try {
    const report = await importDataset(project, positionals[1], { format: values.format as ImportFormat | undefined, strict: Boolean(values.strict), split: values.split as never });
    if (values.json) {
      out.log(JSON.stringify(report));
      return 0;
    }
    out.log(`found ${report.found}`);
    out.log(`imported ${plural(report.images, 'image')} and ${plural(report.annotations, 'annotation')} (train ${report.splits.train}, val ${report.splits.val}, test ${report.splits.test})`);
    for (const [name, n] of Object.entries(report.perClass)) out.log(`  ${name}: ${n}`);
    for (const m of report.missingImages) out.log(`  missing: ${m.path}: ${m.reason}`);
    for (const w of report.warnings) out.log(`  ${w}`);
    printSkipped(report, out);
    return 0;
  } finally {
    project.close();
  }
}

/** `fieldwork export <project> <out> --format coco|yolo|yolo-seg|voc|labelme|masks [--split S] [--copy-images]` */
export async function exportCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, { format: { type: 'string' }, split: { type: 'string' }, 'copy-images': { type: 'boolean' }, json: { type: 'boolean' } }, 2);
  if (!EXPORT_FORMATS.includes(values.format as ExportFormat)) throw new InterchangeUsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}${values.format ? `, not "${values.format}"` : ''}`);
  if (values.split !== undefined && !isSplit(values.split)) throw new InterchangeUsageError(`--split must be train, val or test, not "${values.split}"`);
  const project = Project.open(positionals[0]);
  try {
    const summary = exportDataset(project, positionals[1], { format: values.format as ExportFormat, split: values.split as never, copyImages: Boolean(values['copy-images']) });
    if (values.json) out.log(JSON.stringify(summary));
    else {
      out.log(`wrote ${summary.format} to ${summary.path}: ${plural(summary.images, 'image')}, ${plural(summary.annotations, 'annotation')}, ${plural(summary.classes, 'class')}`);
      for (const n of summary.notes) out.log(`  ${n}`);
    }
    return 0;
  } finally {
    project.close();
  }
}
