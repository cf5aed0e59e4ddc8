// Shared by every import: classes by name (case and surrounding spaces do not make a new class, with a
// warning), and the import report written into the project as import-report.json.
import { writeJsonAtomic } from '../../../trainer/io/atomic.ts';
import { join } from 'node:path';
import type { CocoImportReport, SkippedItem } from '../../api.ts';
import { classKey, findClassLoosely, insertClass } from '../classes.ts';
import type { Project } from '../project.ts';

export const IMPORT_REPORT = 'import-report.json';

/** Returns a function giving the class id for a name, creating the class on first use (inside the caller's transaction). */
export function classResolver(project: Project, warnings: string[]): (name: string) => number {
  const byKey = new Map<string, { id: number; name: string }>();
  const warned = new Set<string>();
  return (name: string) => {
    const key = classKey(name);
    let found = byKey.get(key) ?? findClassLoosely(project, name);
    if (!found) found = { id: insertClass(project, name), name: name.trim() };
    byKey.set(key, found);
    if (found.name !== name && !warned.has(name)) {
      warned.add(name);
      warnings.push(`class "${name}" was merged into "${found.name}": names differing only in case or surrounding spaces are the same class.`);
    }
    return found.id;
  };
}

export function emptyReport(format: string): CocoImportReport {
  return { format, images: 0, annotations: 0, perClass: {}, categoriesSkipped: [], missingImages: [], failedImages: [], duplicates: [], duplicatesAcrossSplits: [], warnings: [], splits: { train: 0, val: 0, test: 0 }, skipped: [] };
}

/** Writes the report as `import-report.json` in the project folder (atomically) and records its path in it. */
export function writeImportReport(project: Project, report: CocoImportReport, source: string): CocoImportReport {
  const path = join(project.dir, IMPORT_REPORT);
  report.reportPath = path;
  const body = { source, at: new Date().toISOString(), ...report };
  writeJsonAtomic(path, body, 2);
  return report;
}

export function describeSkippedItem(s: SkippedItem): string {
  return [s.file, s.image, s.annotation, s.reason].filter(Boolean).join(': ');
}
