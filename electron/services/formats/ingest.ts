// Writes a parsed dataset (YOLO, LabelMe, Pascal VOC) into a project the way the COCO import does:
// every image file is found and stored first (content-addressed, so safe to redo), every annotation is
// checked against its image's real size, bad items are skipped and reported (or, with `strict`, the
// whole import is refused), then classes, images and annotations go in one transaction.
import { basename } from 'node:path';
import type { CocoImportReport, Geometry, SkippedItem, Split } from '../../api.ts';
import { UserError, listSome } from '../errors.ts';
import { deriveGeometry } from '../geometry.ts';
import { insertAnnotation } from '../annotations.ts';
import { ingestImage, insertImage, mapLimit, type IngestOptions, type StoredImage } from '../images.ts';
import type { Project } from '../project.ts';
import { classResolver, describeSkippedItem, emptyReport, writeImportReport } from './common.ts';

export interface ParsedAnnotation {
  className: string;
  /** Pixel geometry, or a function of the image's stored size (YOLO's normalised coordinates). */
  geometry: Geometry | ((width: number, height: number) => Geometry);
  /** Where it came from: the label file and a line / shape / object number. */
  file: string;
  annotation: string;
}

export interface ParsedImage {
  /** The image file on disk; undefined when the label file names an image that is not there. */
  path?: string;
  fileName: string;
  split: Split;
  /** Where its labels came from (for the report). */
  labelFile?: string;
  annotations: ParsedAnnotation[];
  /** True when a label file exists for it (even an empty one): the image was looked at. */
  seen: boolean;
  /** Size the label file claims (VOC, LabelMe); a different stored size leaves the image's labels out. */
  claimedSize?: [width: number, height: number];
}

export interface ParsedDataset {
  format: string;
  /** Classes in their declared order (created even without annotations). */
  classNames: string[];
  images: ParsedImage[];
  skipped: SkippedItem[];
  warnings: string[];
}

export interface IngestParsedOptions extends IngestOptions {
  strict?: boolean;
  split?: Split;
  onProgress?: (done: number, total: number, current: string) => void;
}

const refuse = (format: string, items: SkippedItem[]) =>
  new UserError(`${format} import refused (--strict), nothing was changed. ${items.length} problem${items.length > 1 ? 's' : ''}: ${listSome(items.map(describeSkippedItem))}`);

export async function ingestParsed(project: Project, parsed: ParsedDataset, source: string, options: IngestParsedOptions = {}): Promise<CocoImportReport> {
  const report = emptyReport(parsed.format);
  report.warnings.push(...parsed.warnings);
  const skipped: SkippedItem[] = [...parsed.skipped];
  const missing = parsed.images.filter((i) => !i.path);
  for (const m of missing) {
    report.missingImages.push({ path: m.fileName, reason: `image file not found (named by ${m.labelFile ?? 'the label file'})` });
    skipped.push({ file: m.labelFile ?? m.fileName, image: m.fileName, reason: `image file not found; its ${m.annotations.length} annotation(s) are left out` });
  }
  if (options.strict && skipped.length > 0) throw refuse(parsed.format, skipped);

  const stored = new Map<ParsedImage, StoredImage>();
  const withFiles = parsed.images.filter((i) => i.path);
  let done = 0;
  await mapLimit(withFiles, 4, async (img) => {
    try {
      stored.set(img, await ingestImage(project, img.path!, options));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      report.failedImages.push({ path: img.path!, reason: err.message });
      skipped.push({ file: img.path!, image: img.fileName, reason: err.message.replace(/\.$/, '') });
    } finally {
      options.onProgress?.(++done, withFiles.length, img.path!);
    }
  });

  // Geometry against the real size; bad ones are skipped with their location.
  const ready = new Map<ParsedImage, { className: string; geometry: Geometry }[]>();
  for (const img of withFiles) {
    const s = stored.get(img);
    if (!s) continue;
    if (img.claimedSize && (img.claimedSize[0] !== s.width || img.claimedSize[1] !== s.height)) {
      skipped.push({ file: img.labelFile ?? img.fileName, image: img.fileName, reason: `the label file says ${img.claimedSize[0]}×${img.claimedSize[1]} but the image is ${s.width}×${s.height}; its labels are left out` });
      ready.set(img, []);
      continue;
    }
    const list: { className: string; geometry: Geometry }[] = [];
    for (const a of img.annotations) {
      try {
        const geometry = typeof a.geometry === 'function' ? a.geometry(s.width, s.height) : a.geometry;
        deriveGeometry(geometry, s.width, s.height, 'x');
        list.push({ className: a.className, geometry });
      } catch (err) {
        skipped.push({ file: a.file, image: img.fileName, annotation: a.annotation, reason: (err as Error).message.replace(/^x: /, '').replace(/\.$/, '') });
      }
    }
    ready.set(img, list);
  }
  if (options.strict && skipped.length > 0) throw refuse(parsed.format, skipped);

  // Re-importing: the same bytes under the same name label an image that has no labels yet, else are skipped.
  const existingByHash = project.db.prepare('SELECT i.id, i.file_name, (SELECT COUNT(*) FROM annotations a WHERE a.image_id = i.id) AS n FROM images i WHERE i.hash = ?');
  const claimed = new Set<number>();
  let already = 0;
  const toWrite: { img: ParsedImage; s: StoredImage; attachTo?: number; anns: { className: string; geometry: Geometry }[] }[] = [];
  for (const img of withFiles) {
    const s = stored.get(img);
    if (!s) continue;
    const anns = ready.get(img)!;
    const rows = existingByHash.all(s.hash) as { id: number; file_name: string; n: number }[];
    const same = rows.find((r) => r.file_name === basename(img.fileName) && !claimed.has(r.id));
    if (same) {
      claimed.add(same.id);
      if (same.n === 0 && anns.length > 0) toWrite.push({ img, s, attachTo: same.id, anns });
      else already++;
      continue;
    }
    toWrite.push({ img, s, anns });
  }
  if (already > 0) report.warnings.push(`${already} images were already in the project and were skipped.`);

  // Byte-identical images under several entries (also against the project): reported, loudly across splits.
  const groups = new Map<string, { fileNames: string[]; splits: Split[] }>();
  for (const { img, s } of toWrite) {
    const g = groups.get(s.hash) ?? { fileNames: [], splits: [] };
    g.fileNames.push(img.fileName);
    g.splits.push(options.split ?? img.split);
    groups.set(s.hash, g);
  }
  const existingSplit = project.db.prepare('SELECT id, file_name, split FROM images WHERE hash = ?');
  for (const [hash, g] of groups) {
    for (const row of existingSplit.all(hash) as { id: number; file_name: string; split: Split }[]) {
      if (toWrite.some((t) => t.attachTo === row.id)) continue;
      g.fileNames.push(`${row.file_name} (already in project)`);
      g.splits.push(row.split);
    }
    if (g.fileNames.length < 2) continue;
    const group = { hash, fileNames: g.fileNames, splits: [...new Set(g.splits)] };
    report.duplicates.push(group);
    if (group.splits.length > 1) report.duplicatesAcrossSplits.push(group);
  }
  if (report.duplicates.length > 0) report.warnings.push(`${report.duplicates.length} groups of byte-identical images; kept as separate images because their labels may differ.`);
  if (report.duplicatesAcrossSplits.length > 0) {
    report.warnings.push(`WARNING: ${report.duplicatesAcrossSplits.length} group(s) of identical images span more than one split (e.g. ${report.duplicatesAcrossSplits[0].fileNames.slice(0, 2).join(' and ')}): held-out data leaks into training and will inflate validation AP. Reassign the splits (identical images are kept together) or remove the copies.`);
  }

  project.db.transaction(() => {
    const classFor = classResolver(project, report.warnings);
    for (const name of parsed.classNames) classFor(name);
    const splitsFrozen = project.meta('split_frozen') === '1';
    for (const { img, s, attachTo, anns } of toWrite) {
      const split = options.split ?? img.split;
      const imageId = attachTo ?? insertImage(project, { ...s, fileName: basename(img.fileName) }, split);
      // As for COCO: the split comes from the import (kept by Assign), and a frozen split never changes by an import.
      if (attachTo === undefined || !splitsFrozen) project.db.prepare("UPDATE images SET split = ?, split_origin = 'import' WHERE id = ?").run(split, imageId);
      report.images++;
      report.splits[split]++;
      for (const a of anns) {
        insertAnnotation(project, imageId, { classId: classFor(a.className), geometry: a.geometry, source: 'import' });
        report.annotations++;
        report.perClass[a.className] = (report.perClass[a.className] ?? 0) + 1;
      }
      if (anns.length > 0 || img.seen) project.db.prepare("UPDATE images SET status = 'done' WHERE id = ?").run(imageId);
    }
  })();
  report.skipped = skipped;
  return writeImportReport(project, report, source);
}
