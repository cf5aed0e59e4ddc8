// COCO export: contiguous ids (images, annotations, categories from 1, in project order), true mask
// areas, polygons as polygons, brush masks as compressed RLE, iscrowd kept. Each image entry carries its
// `split`, which pycocotools and Detectron2 ignore and our import reads back, so export → import → export
// gives the same file.
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { CocoExportOptions, CocoExportSummary, Split } from '../api.ts';
import type { CocoAnnotation, CocoDataset } from '../../trainer/common/coco.ts';
import { writeJsonAtomic } from '../../trainer/io/atomic.ts';
import { annotationsByImage } from './annotations.ts';
import { UserError } from './errors.ts';
import type { Project } from './project.ts';
import { isSplit } from './splits.ts';

/** An image row as the exports read it. */
export interface ExportImageRow {
  id: number;
  file_name: string;
  stored_path: string;
  width: number;
  height: number;
  split: Split;
}

/** Builds the COCO dataset for the project (or one split). `fileNameOf` decides each image's file_name. */
export function buildCocoDataset(project: Project, split?: Split, fileNameOf?: (row: ExportImageRow) => string): CocoDataset {
  if (split !== undefined && !isSplit(split)) throw new UserError(`Unknown split ${split}; use train, val or test.`);
  const rows = project.db
    .prepare(`SELECT id, file_name, stored_path, width, height, split FROM images ${split ? 'WHERE split = ?' : ''} ORDER BY id`)
    .all(...(split ? [split] : [])) as ExportImageRow[];
  const classes = project.db.prepare('SELECT id, name FROM classes ORDER BY ord, id').all() as { id: number; name: string }[];
  const categoryId = new Map(classes.map((c, i) => [c.id, i + 1]));
  const byImage = annotationsByImage(project);
  const annotations: CocoAnnotation[] = [];
  const images = rows.map((row, i) => {
    const imageId = i + 1;
    for (const a of byImage.get(row.id) ?? []) {
      const g = a.geometry;
      annotations.push({
        id: annotations.length + 1,
        image_id: imageId,
        category_id: categoryId.get(a.classId)!,
        bbox: a.bbox,
        area: a.area,
        iscrowd: a.iscrowd ? 1 : 0,
        segmentation: g.kind === 'polygon' ? g.rings : g.kind === 'mask' ? { size: g.rle.size, counts: g.rle.counts } : [],
      });
    }
    return { id: imageId, file_name: fileNameOf ? fileNameOf(row) : row.file_name, width: row.width, height: row.height, split: row.split };
  });
  return {
    info: { description: 'Exported from Fieldwork' },
    images,
    annotations,
    categories: classes.map((c, i) => ({ id: i + 1, name: c.name, supercategory: '' })),
  };
}

export function exportCoco(project: Project, outPath: string, options: CocoExportOptions = {}): CocoExportSummary {
  const out = resolve(outPath);
  let fileNameOf: ((row: ExportImageRow) => string) | undefined;
  const copies: [string, string][] = [];
  if (options.imagesDir) {
    const imagesDir = resolve(options.imagesDir);
    const taken = new Set<string>();
    fileNameOf = (row) => {
      // Two images may share a name (e.g. from different folders); later ones get a numeric suffix.
      let name = row.file_name;
      for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${basename(row.file_name, extname(row.file_name))}_${n}${extname(row.file_name)}`;
      taken.add(name.toLowerCase());
      copies.push([project.resolveInside(row.stored_path), join(imagesDir, name)]);
      // Relative to the JSON when the images sit below it; otherwise the bare name, as Roboflow and CVAT write it.
      const rel = relative(dirname(out), join(imagesDir, name));
      return rel.startsWith('..') || isAbsolute(rel) ? name : rel.split(sep).join('/');
    };
  }
  const dataset = buildCocoDataset(project, options.split, fileNameOf);
  if (options.imagesDir) {
    mkdirSync(resolve(options.imagesDir), { recursive: true });
    for (const [from, to] of copies) copyFileSync(from, to);
  }
  mkdirSync(dirname(out), { recursive: true });
  writeJsonAtomic(out, dataset);
  return { path: out, images: dataset.images.length, annotations: dataset.annotations.length, categories: dataset.categories.length };
}
