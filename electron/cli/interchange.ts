// CLI for dataset interchange: `import-dataset` (COCO, YOLO, LabelMe, Pascal VOC) and `export`.
import type { CocoImportReport } from '../api.ts';
import { describeSkippedItem } from '../services/formats/common.ts';

type Out = { log: (line: string) => void; error: (line: string) => void };

/** One line per skipped item (file: image: annotation: reason), then where the full report is. */
export function printSkipped(report: CocoImportReport, out: Out): void {
  const skipped = report.skipped ?? [];
  if (skipped.length > 0) out.log(`  skipped ${skipped.length} item${skipped.length > 1 ? 's' : ''}:`);
  for (const s of skipped) out.log(`    ${describeSkippedItem(s)}`);
  if (report.reportPath) out.log(`  report: ${report.reportPath}`);
}
