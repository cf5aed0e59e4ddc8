// COCO import, as real tools write it: a single JSON, or an export folder (Roboflow: train/ valid|val/ test/
// each with _annotations.coco.json; CVAT: annotations/instances_<split>.json beside images/).
// The whole import is checked before anything is written; then classes, images and annotations go in
// one transaction, so a bad file changes nothing in the project.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, normalize, resolve } from 'node:path';
import type { CocoImportOptions, CocoImportReport, DuplicateGroup, Geometry, SkippedItem, Split } from '../api.ts';
import type { CocoAnnotation, CocoCategory, CocoDataset, CocoImage } from '../../trainer/common/coco.ts';
import { rleFromUncompressed } from '../../trainer/common/rle.ts';
import { insertAnnotation } from './annotations.ts';
import { validateClassName } from './classes.ts';
import { classResolver, describeSkippedItem, emptyReport, writeImportReport } from './formats/common.ts';
import { listSome, UserError } from './errors.ts';
import { deriveGeometry } from './geometry.ts';
import { ingestImage, insertImage, mapLimit, type IngestOptions, type StoredImage } from './images.ts';
import type { Project } from './project.ts';
import { isSplit } from './splits.ts';

const SPLIT_FOLDERS: Record<string, Split> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };

interface CocoSource {
  jsonPath: string;
  split?: Split;
  data: CocoDataset;
}

/** The JSON files an import path stands for, each with the split its folder or file name implies. */
export function locateCocoFiles(path: string): { jsonPath: string; split?: Split }[] {
  if (!existsSync(path)) throw new UserError(`${path}: no such file or folder.`);
  if (!statSync(path).isDirectory()) return [{ jsonPath: path, split: splitFromName(path) }];
  const entries = readdirSync(path).sort();
  const splitDirs = entries.filter((name) => SPLIT_FOLDERS[name.toLowerCase()] && statSync(join(path, name)).isDirectory());
  const fromSplitDirs = splitDirs.flatMap((name) => {
    const jsons = readdirSync(join(path, name)).filter((f) => f.toLowerCase().endsWith('.json')).sort();
    return jsons.map((f) => ({ jsonPath: join(path, name, f), split: SPLIT_FOLDERS[name.toLowerCase()] }));
  });
  if (fromSplitDirs.length > 0) return fromSplitDirs;
  const topJsons = entries.filter((f) => f.toLowerCase().endsWith('.json'));
  if (topJsons.length > 0) return topJsons.map((f) => ({ jsonPath: join(path, f), split: splitFromName(join(path, f)) }));
  const annDir = join(path, 'annotations');
  if (existsSync(annDir) && statSync(annDir).isDirectory()) {
    const jsons = readdirSync(annDir).filter((f) => f.toLowerCase().endsWith('.json')).sort();
    if (jsons.length > 0) return jsons.map((f) => ({ jsonPath: join(annDir, f), split: splitFromName(f) }));
  }
  throw new UserError(`${path}: no COCO JSON found (looked for train/ val/ valid/ test/ folders, *.json, annotations/*.json).`);
}

/** "valid/_annotations.coco.json" → val, "instances_train2017.json" → train; undefined when the name says nothing. */
export function splitFromName(path: string): Split | undefined {
  const parent = basename(dirname(path)).toLowerCase();
  if (SPLIT_FOLDERS[parent]) return SPLIT_FOLDERS[parent];
  const stem = basename(path, extname(path)).toLowerCase();
  const words = stem.split(/[^a-z]+/).filter(Boolean);
  for (const word of words) if (SPLIT_FOLDERS[word]) return SPLIT_FOLDERS[word];
  const m = stem.match(/(train|val|valid|test)\d*$/);
  return m ? SPLIT_FOLDERS[m[1]] : undefined;
}

function readCoco(jsonPath: string): CocoDataset {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw new UserError(`${jsonPath}: not valid JSON (${(err as Error).message}).`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UserError(`${jsonPath}: a COCO file must be a JSON object.`);
  const data = parsed as Partial<CocoDataset>;
  for (const key of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(data[key])) throw new UserError(`${jsonPath}: missing "${key}" list; is this a COCO instances file?`);
  }
  return data as CocoDataset;
}

/** Turns a COCO segmentation into our geometry: polygons stay polygons, RLE becomes a mask, none is a box. */
export function geometryFromCoco(ann: CocoAnnotation, where: string): Geometry {
  const seg = ann.segmentation as unknown;
  const isEmpty = seg === undefined || seg === null || (Array.isArray(seg) && seg.length === 0) || (typeof seg === 'object' && !Array.isArray(seg) && Object.keys(seg as object).length === 0);
  if (isEmpty) return { kind: 'box', bbox: ann.bbox };
  if (Array.isArray(seg)) {
    // Some tools write one flat ring instead of a list of rings.
    const rings = seg.every((v) => typeof v === 'number') ? [seg as number[]] : (seg as number[][]);
    if (!rings.every((r) => Array.isArray(r))) throw new UserError(`${where}: segmentation is neither polygons nor RLE.`);
    return { kind: 'polygon', rings: rings.map((r) => r.map(Number)) };
  }
  const rle = seg as { size?: unknown; counts?: unknown };
  if (!Array.isArray(rle.size) || rle.size.length !== 2) throw new UserError(`${where}: RLE segmentation has no [height, width] size.`);
  const size: [number, number] = [Number(rle.size[0]), Number(rle.size[1])];
  if (typeof rle.counts === 'string') return { kind: 'mask', rle: { size, counts: rle.counts } };
  if (Array.isArray(rle.counts) && rle.counts.every((v) => Number.isInteger(v) && v >= 0)) {
    return { kind: 'mask', rle: rleFromUncompressed({ size, counts: rle.counts as number[] }) };
  }
  throw new UserError(`${where}: RLE counts must be a string or a list of non-negative integers.`);
}

/** Where the image file of an entry is, trying the layouts real exports use; refuses paths leaving the folder. */
function resolveImageFile(jsonPath: string, fileName: string): { path?: string; reason?: string } {
  if (typeof fileName !== 'string' || fileName.length === 0) return { reason: 'no file_name' };
  const normal = normalize(fileName.replace(/\\/g, '/'));
  if (isAbsolute(fileName) || normal.startsWith('..')) return { reason: `file_name ${fileName} points outside the dataset folder` };
  const base = dirname(jsonPath);
  const candidates = [join(base, normal), join(base, 'images', normal), join(base, basename(normal)), join(base, 'images', basename(normal)), join(base, '..', 'images', normal), join(base, '..', 'images', basename(normal))];
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return { path: resolve(c) };
  return { reason: `image file not found (looked beside ${basename(jsonPath)} and in images/)` };
}

interface PlannedImage {
  source: CocoSource;
  entry: CocoImage;
  split: Split;
  file?: string;
  stored?: StoredImage;
  /** An existing unlabelled project image with the same bytes and name: its labels come from this entry. */
  attachTo?: number;
}

export async function importCoco(
  project: Project,
  path: string,
  options: CocoImportOptions & IngestOptions & { onProgress?: (done: number, total: number, current: string) => void } = {},
): Promise<CocoImportReport> {
  if (options.split !== undefined && !isSplit(options.split)) throw new UserError(`Unknown split ${options.split}; use train, val or test.`);
  const sources: CocoSource[] = locateCocoFiles(path).map((f) => ({ ...f, data: readCoco(f.jsonPath) }));
  const report: CocoImportReport = emptyReport('coco');

  // ---- categories: by name across all files; Roboflow's unused placeholder is skipped ----
  const annotationsPerCategory = new Map<string, number>(); // key `${source index}:${category id}`
  sources.forEach((s, si) => {
    for (const a of s.data.annotations) annotationsPerCategory.set(`${si}:${a?.category_id}`, (annotationsPerCategory.get(`${si}:${a?.category_id}`) ?? 0) + 1);
  });
  const categoryName = new Map<string, string>(); // `${source index}:${id}` → class name
  const skippedItems: SkippedItem[] = [];
  const bad = (item: SkippedItem) => skippedItems.push(item);
  sources.forEach((s, si) => {
    const file = basename(s.jsonPath);
    const ids = new Set<number>();
    for (const c of s.data.categories as CocoCategory[]) {
      if (!c || !Number.isInteger(c.id)) {
        bad({ file, reason: `category ${JSON.stringify(c)} has no integer id` });
        continue;
      }
      if (ids.has(c.id)) {
        bad({ file, reason: `category id ${c.id} appears twice (the later one is left out)` });
        continue;
      }
      ids.add(c.id);
      try {
        categoryName.set(`${si}:${c.id}`, validateClassName(c.name, `category ${c.id} name`));
      } catch (err) {
        bad({ file, reason: (err as Error).message.replace(/\.$/, '') });
      }
    }
  });
  // A category with no annotations is Roboflow's placeholder when it has id 0, names the others'
  // supercategory, or shares its name with another category; other empty categories become classes.
  const allCategories = sources.flatMap((s, si) => (s.data.categories as CocoCategory[]).filter((c) => c && Number.isInteger(c.id)).map((c) => ({ c, si })));
  const superNames = new Set(allCategories.map(({ c }) => c.supercategory).filter((v): v is string => typeof v === 'string'));
  const skippedKeys = new Set<string>();
  for (const { c, si } of allCategories) {
    const key = `${si}:${c.id}`;
    const name = categoryName.get(key);
    if (name === undefined || (annotationsPerCategory.get(key) ?? 0) > 0) continue;
    const collides = allCategories.some((o) => o.si === si && o.c.id !== c.id && categoryName.get(`${o.si}:${o.c.id}`) === name);
    if (c.id === 0 || superNames.has(name) || collides) {
      skippedKeys.add(key);
      if (!report.categoriesSkipped.some((k) => k.id === c.id && k.name === name)) {
        report.categoriesSkipped.push({ id: c.id, name, reason: collides ? 'placeholder category with no annotations whose name repeats a real class' : 'placeholder category with no annotations (Roboflow export convention)' });
      }
    }
  }

  // ---- images and annotations: validate everything before writing anything ----
  const planned: PlannedImage[] = [];
  const annotationsOf = new Map<PlannedImage, CocoAnnotation[]>();
  sources.forEach((s, si) => {
    const file = basename(s.jsonPath);
    const byId = new Map<number, PlannedImage>();
    const badImages = new Set<unknown>();
    for (const entry of s.data.images) {
      const image = `image ${JSON.stringify(entry?.id)}${entry && typeof entry.file_name === 'string' ? ` (${entry.file_name})` : ''}`;
      if (!entry || !Number.isInteger(entry.id)) {
        bad({ file, image, reason: 'image entry has no integer id' });
        continue;
      }
      if (byId.has(entry.id) || badImages.has(entry.id)) {
        bad({ file, image, reason: 'image id appears twice (the later entry is left out)' });
        continue;
      }
      if (!(Number.isInteger(entry.width) && entry.width > 0 && Number.isInteger(entry.height) && entry.height > 0)) {
        bad({ file, image, reason: 'no positive integer width/height' });
        badImages.add(entry.id);
        continue;
      }
      const entrySplit = isSplit(entry.split) ? entry.split : undefined;
      const plan: PlannedImage = { source: s, entry, split: options.split ?? entrySplit ?? s.split ?? 'train' };
      byId.set(entry.id, plan);
      planned.push(plan);
      annotationsOf.set(plan, []);
    }
    const annIds = new Set<number>();
    for (const ann of s.data.annotations) {
      const annotation = `annotation ${JSON.stringify(ann?.id)}`;
      const where = `${file}: ${annotation}`;
      if (!ann || typeof ann !== 'object') {
        bad({ file, annotation, reason: 'not an object' });
        continue;
      }
      const plan = byId.get(ann.image_id);
      const image = plan ? `image ${plan.entry.id} (${plan.entry.file_name})` : `image ${JSON.stringify(ann.image_id)}`;
      if (annIds.has(ann.id)) {
        bad({ file, image, annotation, reason: 'annotation id appears twice (the later one is left out)' });
        continue;
      }
      annIds.add(ann.id);
      if (!plan) {
        bad({ file, image, annotation, reason: badImages.has(ann.image_id) ? `its image ${ann.image_id} was left out` : `refers to unknown image ${ann.image_id}` });
        continue;
      }
      if (!categoryName.has(`${si}:${ann.category_id}`)) {
        bad({ file, image, annotation, reason: `refers to unknown category ${ann.category_id}` });
        continue;
      }
      const b = ann.bbox;
      if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        bad({ file, image, annotation, reason: 'bbox must be 4 finite numbers' });
        continue;
      }
      if (b[2] <= 0 || b[3] <= 0) {
        bad({ file, image, annotation, reason: `bbox has non-positive size ${b[2]}×${b[3]}` });
        continue;
      }
      try {
        deriveGeometry(geometryFromCoco(ann, where), plan.entry.width, plan.entry.height, where);
      } catch (err) {
        bad({ file, image, annotation, reason: (err as Error).message.slice(where.length + 2).replace(/\.$/, '') });
        continue;
      }
      annotationsOf.get(plan)!.push(ann);
    }
  });
  if (skippedItems.length > 0 && options.strict) {
    const errors = skippedItems.map(describeSkippedItem);
    throw new UserError(`COCO import refused (--strict), nothing was changed. ${errors.length} problem${errors.length > 1 ? 's' : ''}: ${listSome(errors)}`);
  }
  report.skipped = skippedItems;

  // ---- image files: find, decode, store (storage is content-addressed, so this is safe to redo) ----
  for (const plan of planned) {
    const found = resolveImageFile(plan.source.jsonPath, plan.entry.file_name);
    if (found.path) plan.file = found.path;
    else report.missingImages.push({ path: String(plan.entry.file_name), reason: found.reason! });
  }
  const withFiles = planned.filter((p) => p.file);
  let done = 0;
  await mapLimit(withFiles, 4, async (plan) => {
    try {
      plan.stored = await ingestImage(project, plan.file!, options);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      report.failedImages.push({ path: plan.file!, reason: err.message });
    } finally {
      options.onProgress?.(++done, withFiles.length, plan.file!);
    }
  });
  // Entries whose JSON size disagrees with the file: the labels were drawn on another frame, so they are not trusted.
  for (const plan of planned) {
    if (plan.stored && (plan.stored.width !== plan.entry.width || plan.stored.height !== plan.entry.height)) {
      report.failedImages.push({ path: plan.file!, reason: `size in the JSON is ${plan.entry.width}×${plan.entry.height} but the file is ${plan.stored.width}×${plan.stored.height}` });
      plan.stored = undefined;
    }
  }
  const imported = planned.filter((p) => p.stored);
  const dropped = planned.filter((p) => !p.stored).reduce((n, p) => n + annotationsOf.get(p)!.length, 0);
  if (dropped > 0) report.warnings.push(`${dropped} annotations were not imported because their images are missing or unreadable.`);

  // Re-importing: an entry whose bytes and name are already in the project labels that image if it has
  // no labels yet, and is otherwise skipped as already imported; it never becomes a second copy.
  const existingByHash = project.db.prepare('SELECT i.id, i.file_name, i.split, (SELECT COUNT(*) FROM annotations a WHERE a.image_id = i.id) AS n FROM images i WHERE i.hash = ?');
  const claimed = new Set<number>();
  const skipped: PlannedImage[] = [];
  for (const plan of imported) {
    const rows = existingByHash.all(plan.stored!.hash) as { id: number; file_name: string; split: Split; n: number }[];
    const same = rows.find((r) => r.file_name === basename(plan.entry.file_name) && !claimed.has(r.id));
    if (!same) continue;
    claimed.add(same.id);
    if (same.n === 0 && annotationsOf.get(plan)!.length > 0) plan.attachTo = same.id;
    else skipped.push(plan);
  }
  if (skipped.length > 0) report.warnings.push(`${skipped.length} images were already in the project and were skipped.`);
  const toWrite = imported.filter((p) => !skipped.includes(p));

  // ---- duplicates: identical bytes under several entries (also against images already in the project) ----
  const groups = new Map<string, { fileNames: string[]; splits: Split[] }>();
  for (const plan of toWrite) {
    const g = groups.get(plan.stored!.hash) ?? { fileNames: [], splits: [] };
    g.fileNames.push(String(plan.entry.file_name));
    g.splits.push(plan.split);
    groups.set(plan.stored!.hash, g);
  }
  for (const [hash, g] of groups) {
    for (const row of existingByHash.all(hash) as { id: number; file_name: string; split: Split }[]) {
      if (toWrite.some((p) => p.attachTo === row.id)) continue;
      g.fileNames.push(`${row.file_name} (already in project)`);
      g.splits.push(row.split);
    }
    if (g.fileNames.length < 2) continue;
    const group: DuplicateGroup = { hash, fileNames: g.fileNames, splits: [...new Set(g.splits)] };
    report.duplicates.push(group);
    if (group.splits.length > 1) report.duplicatesAcrossSplits.push(group);
  }
  if (report.duplicates.length > 0) {
    const copies = report.duplicates.reduce((n, g) => n + g.fileNames.length, 0);
    const distinct = new Set(toWrite.map((p) => p.stored!.hash)).size;
    report.warnings.push(`${report.duplicates.length} groups of byte-identical images (${copies} entries; ${distinct} distinct image contents among ${toWrite.length} imported entries); kept as separate images because their labels may differ.`);
  }
  if (report.duplicatesAcrossSplits.length > 0) {
    report.warnings.push(
      `WARNING: ${report.duplicatesAcrossSplits.length} group(s) of identical images span more than one split (e.g. ${report.duplicatesAcrossSplits[0].fileNames.slice(0, 2).join(' and ')}): held-out data leaks into training and will inflate validation AP. Reassign the splits (identical images are kept together) or remove the copies.`,
    );
  }

  // ---- area convention: Roboflow writes the box area; we store the true mask area ----
  let boxAreaCount = 0;
  let withSegmentation = 0;
  for (const plan of toWrite) {
    for (const ann of annotationsOf.get(plan)!) {
      const seg = ann.segmentation;
      if (!seg || (Array.isArray(seg) && seg.length === 0)) continue;
      withSegmentation++;
      // Exporters round the box and the area separately, so compare with a small relative tolerance.
      if (typeof ann.area === 'number' && Math.abs(ann.area - ann.bbox[2] * ann.bbox[3]) <= 5e-3 * Math.max(1, ann.area)) boxAreaCount++;
    }
  }
  if (withSegmentation > 0 && boxAreaCount > withSegmentation / 2) {
    report.warnings.push(`"area" held the box area (w×h) for ${boxAreaCount} of ${withSegmentation} masks (a Roboflow convention); true mask areas were computed instead, which COCO's small/medium/large ranges need.`);
  }

  // ---- write: one transaction ----
  project.db.transaction(() => {
    const classFor = classResolver(project, report.warnings);
    for (const { c, si } of allCategories) {
      const key = `${si}:${c.id}`;
      if (!skippedKeys.has(key) && categoryName.has(key)) classFor(categoryName.get(key)!);
    }
    const splitsFrozen = project.meta('split_frozen') === '1';
    for (const plan of toWrite) {
      const si = sources.indexOf(plan.source);
      const stored = { ...plan.stored!, fileName: basename(String(plan.entry.file_name)) };
      const imageId = plan.attachTo ?? insertImage(project, stored, plan.split);
      // A frozen split never changes by an import: an image already in the project keeps its split then.
      if (plan.attachTo === undefined || !splitsFrozen) project.db.prepare("UPDATE images SET split = ?, split_origin = 'import' WHERE id = ?").run(plan.split, imageId);
      report.images++;
      report.splits[plan.split]++;
      const anns = annotationsOf.get(plan)!;
      for (const ann of anns) {
        const name = categoryName.get(`${si}:${ann.category_id}`)!;
        insertAnnotation(project, imageId, { classId: classFor(name), geometry: geometryFromCoco(ann, ''), iscrowd: ann.iscrowd === 1, source: 'import' }, undefined, `${basename(plan.source.jsonPath)}: annotation ${ann.id}`);
        report.annotations++;
        report.perClass[name] = (report.perClass[name] ?? 0) + 1;
      }
      if (anns.length > 0) project.db.prepare("UPDATE images SET status = 'done' WHERE id = ?").run(imageId);
    }
  })();
  return writeImportReport(project, report, resolve(path));
}

