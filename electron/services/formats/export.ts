// Dataset export to YOLO detect, YOLO seg, Pascal VOC, LabelMe, PNG masks (and COCO through coco_export.ts), per split,
// with the images copied or not. What each format cannot hold is counted in the summary's notes.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import type { Annotation, Split } from '../../api.ts';
import { rleToMask } from '../../../trainer/common/rle.ts';
import { traceContours } from '../../../trainer/common/geometry/mask.ts';
import { annotationsByImage } from '../annotations.ts';
import { exportCoco, type ExportImageRow as Row } from '../coco_export.ts';
import { UserError } from '../errors.ts';
import type { Project } from '../project.ts';
import { isSplit } from '../splits.ts';
import { vocXml } from './voc.ts';
import { fmt } from './fmt.ts';
import { writeFileAtomic as writeAtomic } from '../../../trainer/io/atomic.ts';
import { indexedPng, paintMasks } from './masks.ts';

export const EXPORT_FORMATS = ['coco', 'yolo', 'yolo-seg', 'voc', 'labelme', 'masks'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface DatasetExportOptions {
  format: ExportFormat;
  split?: Split;
  copyImages?: boolean;
}

export interface DatasetExportSummary {
  format: ExportFormat;
  path: string;
  images: number;
  annotations: number;
  classes: number;
  /** What the format could not hold (holes, masks, multi-part shapes), with counts. */
  notes: string[];
}

function load(project: Project, split?: Split) {
  if (split !== undefined && !isSplit(split)) throw new UserError(`Unknown split ${split}; use train, val or test.`);
  const rows = project.db.prepare(`SELECT id, file_name, stored_path, width, height, split FROM images ${split ? 'WHERE split = ?' : ''} ORDER BY id`).all(...(split ? [split] : [])) as Row[];
  const classes = project.db.prepare('SELECT id, name FROM classes ORDER BY ord, id').all() as { id: number; name: string }[];
  const index = new Map(classes.map((c, i) => [c.id, i]));
  // Unique output names per split folder (two sources may share a file name).
  const taken = new Set<string>();
  const names = new Map<number, string>();
  for (const r of rows) {
    let name = r.file_name;
    const stem = basename(r.file_name, extname(r.file_name));
    for (let n = 2; taken.has(`${r.split}/${stem.toLowerCase()}`); n++) name = `${basename(r.file_name, extname(r.file_name))}_${n}${extname(r.file_name)}`;
    taken.add(`${r.split}/${basename(name, extname(name)).toLowerCase()}`);
    names.set(r.id, name);
  }
  return { rows, classes, index, names, byImage: annotationsByImage(project) };
}

/** Outer rings of a shape for YOLO seg, and how many holes were dropped. */
export function yoloRings(a: Annotation, width: number, height: number): { rings: number[][]; holes: number } {
  const g = a.geometry;
  if (g.kind === 'polygon') return { rings: g.rings, holes: 0 };
  if (g.kind === 'box') {
    const [x, y, w, h] = g.bbox;
    return { rings: [[x, y, x + w, y, x + w, y + h, x, y + h]], holes: 0 };
  }
  const traced = traceContours(rleToMask(g.rle), width, height);
  return { rings: traced.outer, holes: traced.holes.length };
}

export function exportDataset(project: Project, outDir: string, options: DatasetExportOptions): DatasetExportSummary {
  if (!EXPORT_FORMATS.includes(options.format)) throw new UserError(`Unknown export format "${options.format}"; use ${EXPORT_FORMATS.join(', ')}.`);
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  if (options.format === 'coco') {
    const s = exportCoco(project, join(out, 'annotations.json'), { split: options.split, imagesDir: options.copyImages ? join(out, 'images') : undefined });
    return { format: 'coco', path: s.path, images: s.images, annotations: s.annotations, classes: s.categories, notes: [] };
  }
  const { rows, classes, index, names, byImage } = load(project, options.split);
  const notes: string[] = [];
  let annotations = 0;
  const splits = [...new Set(rows.map((r) => r.split))];

  if (options.format === 'voc') {
    mkdirSync(join(out, 'Annotations'), { recursive: true });
    mkdirSync(join(out, 'ImageSets', 'Main'), { recursive: true });
    if (options.copyImages) mkdirSync(join(out, 'JPEGImages'), { recursive: true });
    let shapes = 0;
    for (const r of rows) {
      const name = names.get(r.id)!;
      const anns = byImage.get(r.id) ?? [];
      shapes += anns.filter((a) => a.geometry.kind !== 'box').length;
      annotations += anns.length;
      writeAtomic(join(out, 'Annotations', `${basename(name, extname(name))}.xml`), vocXml(name, r.width, r.height, anns.map((a) => ({ name: classes[index.get(a.classId)!].name, bbox: a.bbox, difficult: false }))));
      if (options.copyImages) copyFileSync(project.resolveInside(r.stored_path), join(out, 'JPEGImages', name));
    }
    for (const s of splits) writeAtomic(join(out, 'ImageSets', 'Main', `${s}.txt`), rows.filter((r) => r.split === s).map((r) => basename(names.get(r.id)!, extname(names.get(r.id)!))).join('\n') + '\n');
    if (shapes > 0) notes.push(`${shapes} polygon/mask shapes written as their boxes only (VOC holds boxes; masks and polygons are lost).`);
    if (!options.copyImages) notes.push('images not copied (use --copy-images): JPEGImages/ is absent.');
    return { format: 'voc', path: out, images: rows.length, annotations, classes: classes.length, notes };
  }

  if (options.format === 'labelme') {
    let holes = 0;
    for (const r of rows) {
      const name = names.get(r.id)!;
      mkdirSync(join(out, r.split), { recursive: true });
      const shapes: Record<string, unknown>[] = [];
      let group = 0;
      for (const a of byImage.get(r.id) ?? []) {
        const label = classes[index.get(a.classId)!].name;
        annotations++;
        const g = a.geometry;
        if (g.kind === 'box') {
          const [x, y, w, h] = g.bbox;
          shapes.push({ label, points: [[x, y], [x + w, y + h]], group_id: null, description: '', shape_type: 'rectangle', flags: {} });
          continue;
        }
        const traced = yoloRings(a, r.width, r.height);
        holes += traced.holes;
        const gid = traced.rings.length > 1 ? ++group : null;
        for (const ring of traced.rings) {
          const points: number[][] = [];
          for (let k = 0; k < ring.length; k += 2) points.push([ring[k], ring[k + 1]]);
          shapes.push({ label, points, group_id: gid, description: '', shape_type: 'polygon', flags: {} });
        }
      }
      const doc = { version: '5.5.0', flags: {}, shapes, imagePath: options.copyImages ? name : project.resolveInside(r.stored_path), imageData: null, imageHeight: r.height, imageWidth: r.width };
      writeAtomic(join(out, r.split, `${basename(name, extname(name))}.json`), JSON.stringify(doc, null, 2));
      if (options.copyImages) copyFileSync(project.resolveInside(r.stored_path), join(out, r.split, name));
    }
    if (holes > 0) notes.push(`${holes} holes lost: LabelMe polygons have no holes, so masks with holes were written as their outer boundaries (filled).`);
    if (!options.copyImages) notes.push('images not copied (use --copy-images): imagePath points at the project\'s stored originals.');
    return { format: 'labelme', path: out, images: rows.length, annotations, classes: classes.length, notes };
  }

  if (options.format === 'masks') {
    let overlapped = 0, dropped = 0;
    for (const r of rows) {
      const name = names.get(r.id)!;
      const stem = basename(name, extname(name));
      for (const d of ['instances', 'classes']) mkdirSync(join(out, r.split, d), { recursive: true });
      const anns = byImage.get(r.id) ?? [];
      annotations += anns.length;
      const painted = paintMasks(anns, (a) => index.get(a.classId)!, r.width, r.height);
      overlapped += painted.overlapped;
      dropped += painted.dropped;
      writeFileSync(join(out, r.split, 'instances', `${stem}.png`), indexedPng(painted.instance, r.width, r.height));
      writeFileSync(join(out, r.split, 'classes', `${stem}.png`), indexedPng(painted.cls, r.width, r.height));
      if (options.copyImages) {
        mkdirSync(join(out, r.split, 'images'), { recursive: true });
        copyFileSync(project.resolveInside(r.stored_path), join(out, r.split, 'images', name));
      }
    }
    writeAtomic(join(out, 'classes.txt'), ['_background_', ...classes.map((c) => c.name)].join('\n') + '\n');
    const boxes = rows.reduce((n, r) => n + (byImage.get(r.id) ?? []).filter((a) => a.geometry.kind === 'box').length, 0);
    if (boxes > 0) notes.push(`${boxes} box-only annotations painted as filled rectangles.`);
    if (overlapped > 0) notes.push(`${overlapped} instances overlap an earlier one; the later instance owns the shared pixels (one id per pixel).`);
    if (dropped > 0) notes.push(`${dropped} instances beyond 255 in an image were left out (8-bit instance ids).`);
    notes.push('pixel values: instances/ 0 = background, 1…N = the image\'s instances; classes/ value k = line k of classes.txt (0 = background).');
    return { format: 'masks', path: out, images: rows.length, annotations, classes: classes.length, notes };
  }

  const seg = options.format === 'yolo-seg';
  let holes = 0, multi = 0, masks = 0;
  for (const s of splits) {
    mkdirSync(join(out, 'labels', s), { recursive: true });
    if (options.copyImages) mkdirSync(join(out, 'images', s), { recursive: true });
  }
  for (const r of rows) {
    const name = names.get(r.id)!;
    const lines: string[] = [];
    for (const a of byImage.get(r.id) ?? []) {
      const cls = index.get(a.classId)!;
      annotations++;
      if (!seg) {
        const [x, y, w, h] = a.bbox;
        lines.push(`${cls} ${fmt((x + w / 2) / r.width)} ${fmt((y + h / 2) / r.height)} ${fmt(w / r.width)} ${fmt(h / r.height)}`);
        continue;
      }
      const traced = yoloRings(a, r.width, r.height);
      holes += traced.holes;
      if (a.geometry.kind === 'mask') masks++;
      if (traced.rings.length > 1) multi++;
      for (const ring of traced.rings) lines.push(`${cls} ${ring.map((v, k) => fmt(v / (k % 2 === 0 ? r.width : r.height))).join(' ')}`);
    }
    writeAtomic(join(out, 'labels', r.split, `${basename(name, extname(name))}.txt`), lines.length > 0 ? lines.join('\n') + '\n' : '');
    if (options.copyImages) copyFileSync(project.resolveInside(r.stored_path), join(out, 'images', r.split, name));
  }
  const yaml: Record<string, unknown> = { path: out };
  for (const s of ['train', 'val', 'test'] as const) if (splits.includes(s)) yaml[s] = `images/${s}`;
  yaml.nc = classes.length;
  yaml.names = Object.fromEntries(classes.map((c, i) => [i, c.name]));
  writeAtomic(join(out, 'data.yaml'), stringifyYaml(yaml));
  for (const s of splits) writeAtomic(join(out, `${s}.txt`), rows.filter((r) => r.split === s).map((r) => `./images/${s}/${names.get(r.id)!}`).join('\n') + '\n');
  if (seg && masks > 0) notes.push(`${masks} brush masks traced into polygons (pixel-edge contours).`);
  if (holes > 0) notes.push(`${holes} holes lost: YOLO seg has no holes, so masks with holes were written as their outer boundaries (filled).`);
  if (multi > 0) notes.push(`${multi} multi-part shapes written as one line per part (importing them back gives one instance per part).`);
  if (!seg) {
    const shapes = rows.reduce((n, r) => n + (byImage.get(r.id) ?? []).filter((a) => a.geometry.kind !== 'box').length, 0);
    if (shapes > 0) notes.push(`${shapes} polygon/mask shapes written as their boxes (YOLO detect holds boxes only; use yolo-seg to keep shapes).`);
  }
  if (!splits.includes('val')) notes.push('no val images: Ultralytics needs a val split; data.yaml lists only the splits present.');
  if (!options.copyImages) notes.push('images not copied (use --copy-images): put each split\'s images in images/<split>/ under the names in <split>.txt.');
  return { format: options.format, path: out, images: rows.length, annotations, classes: classes.length, notes };
}
