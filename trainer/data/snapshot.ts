// Reads a run's frozen snapshot (COCO JSON + split per image) into typed records, and maps COCO
// category ids onto the model's contiguous class indices 1..K.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { CocoAnnotation, CocoCategory, CocoDataset, CocoSegmentation } from '../common/coco.ts';
import type { Split } from '../common/splits.ts';

export type { Split };

export interface InstanceRecord {
  /** COCO [x, y, w, h] in original pixels. */
  bbox: [number, number, number, number];
  /** 1..K */
  classIndex: number;
  segmentation?: CocoSegmentation;
}

export interface ImageRecord {
  id: number;
  path: string;
  width: number;
  height: number;
  split: Split | undefined;
  instances: InstanceRecord[];
}

/** Model classes: index i (1-based) ↔ COCO category id classes[i − 1].id. */
export interface ClassMap {
  categories: CocoCategory[];
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/**
 * Categories the model learns: those with at least one (non-crowd) annotation, in id order — so a
 * Roboflow export's unused placeholder category 0 does not become a class. All categories when
 * nothing is annotated yet.
 */
export function classMapFor(ds: CocoDataset): ClassMap {
  const used = new Set(ds.annotations.filter((a) => !a.iscrowd).map((a) => a.category_id));
  const cats = [...ds.categories].sort((a, b) => a.id - b.id);
  const chosen = cats.filter((c) => used.has(c.id));
  return { categories: chosen.length ? chosen : cats };
}

/**
 * Image path: absolute as is; relative against `baseDir`, then `baseDir/images/` (Roboflow/CVAT
 * layouts). Returns the first that exists (or the first candidate when none does).
 */
export function resolveImagePath(fileName: string, baseDir: string): string {
  if (isAbsolute(fileName)) return fileName;
  const candidates = [resolve(baseDir, fileName), join(baseDir, 'images', fileName)];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

export function readCoco(path: string): CocoDataset {
  let ds: CocoDataset;
  try {
    ds = JSON.parse(readFileSync(path, 'utf8')) as CocoDataset;
  } catch (e) {
    throw new SnapshotError(`Error in readCoco: cannot read ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(ds.images) || !Array.isArray(ds.categories)) throw new SnapshotError(`Error in readCoco: ${path} has no images/categories arrays`);
  ds.annotations ??= [];
  return ds;
}

/** Image records of a COCO dataset whose files are relative to `baseDir`, with classes mapped by `classes`. */
export function imageRecords(ds: CocoDataset, baseDir: string, classes: ClassMap): ImageRecord[] {
  const index = new Map(classes.categories.map((c, i) => [c.id, i + 1]));
  const byImage = new Map<number, CocoAnnotation[]>();
  for (const a of ds.annotations) {
    if (!byImage.has(a.image_id)) byImage.set(a.image_id, []);
    byImage.get(a.image_id)!.push(a);
  }
  return ds.images.map((img) => {
    const split = img.split as Split | undefined;
    if (split !== undefined && split !== 'train' && split !== 'val' && split !== 'test') {
      throw new SnapshotError(`Error in imageRecords: image ${img.id} has split ${JSON.stringify(split)}; expected train | val | test`);
    }
    const instances: InstanceRecord[] = [];
    for (const a of byImage.get(img.id) ?? []) {
      const k = index.get(a.category_id);
      if (k === undefined || a.iscrowd) continue;
      const [x, y, w, h] = a.bbox;
      if (!(w > 0.5 && h > 0.5)) continue;
      instances.push({ bbox: [x, y, w, h], classIndex: k, segmentation: a.segmentation });
    }
    return { id: img.id, path: resolveImagePath(img.file_name, baseDir), width: img.width, height: img.height, split, instances };
  });
}

export interface Snapshot {
  dataset: CocoDataset;
  classes: ClassMap;
  images: ImageRecord[];
}

/** Reads `<runDir>/snapshot.json`. */
export function readSnapshot(runDir: string): Snapshot {
  const path = join(runDir, 'snapshot.json');
  if (!existsSync(path)) throw new SnapshotError(`Error in readSnapshot: ${path} does not exist`);
  const dataset = readCoco(path);
  const classes = classMapFor(dataset);
  return { dataset, classes, images: imageRecords(dataset, dirname(path), classes) };
}

/** The ground-truth COCO dataset of one split (for the evaluator). */
export function splitDataset(ds: CocoDataset, split: Split): CocoDataset {
  const images = ds.images.filter((i) => i.split === split);
  const ids = new Set(images.map((i) => i.id));
  return { ...ds, images, annotations: ds.annotations.filter((a) => ids.has(a.image_id)) };
}
