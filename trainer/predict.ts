// Inference to COCO results: boxes [x, y, w, h] and masks as compressed RLE in original image pixels.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { CocoCategory, CocoResult } from './common/coco.ts';
import { writeJsonAtomic } from './io/atomic.ts';
import type { RunConfig } from './common/config.ts';
import { rleFromWindow } from './common/rle.ts';
import { ImageCache, makeBatch, prepareImage } from './data/loader.ts';
import { imageRecords, readCoco, type ClassMap, type ImageRecord } from './data/snapshot.ts';
import { pasteMaskWindow } from './model/mask_head.ts';
import { MaskRcnn, buildMaskRcnnOptions, type ImageDetections } from './model/mask_rcnn.ts';
import { readCheckpoint, restoreCheckpoint } from './checkpoint.ts';
import { initBackend, type BackendName } from './backend/index.ts';
import { DataParallel, plannedWasmThreads, resolveWorkers } from './parallel/data_parallel.ts';

/**
 * One image's detections as COCO results. det is in the resized frame of size (h, w); the image's
 * original size is (rec.height, rec.width).
 */
export function detectionsToCoco(det: ImageDetections, rec: { id: number; width: number; height: number }, frame: [number, number], categories: CocoCategory[], maskThreshold: number): CocoResult[] {
  const sx = frame[1] / rec.width, sy = frame[0] / rec.height;
  const M = det.maskSize;
  const out: CocoResult[] = [];
  for (let d = 0; d < det.scores.length; d++) {
    const x1 = det.boxes[4 * d] / sx, y1 = det.boxes[4 * d + 1] / sy, x2 = det.boxes[4 * d + 2] / sx, y2 = det.boxes[4 * d + 3] / sy;
    // Only the box's window is pasted and encoded (a full-image mask per detection took 2.7 s per
    // 100 detections on a 12 MP photo).
    const win = pasteMaskWindow(det.masks.subarray(d * M * M, (d + 1) * M * M), M, [x1, y1, x2, y2], rec.height, rec.width, maskThreshold);
    const rle = rleFromWindow(win.data, win.x0, win.y0, win.rows, win.cols, rec.height, rec.width);
    out.push({
      image_id: rec.id,
      category_id: categories[det.classes[d] - 1].id,
      bbox: [round2(x1), round2(y1), round2(x2 - x1), round2(y2 - y1)],
      score: Math.round(det.scores[d] * 1e5) / 1e5,
      segmentation: { size: [rle.size[0], rle.size[1]], counts: rle.counts as string },
    });
  }
  return out;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Runs the model over records (test-time scale, no flip) in batches of `batchSize`, split over `pool`'s threads when given. */
export async function predictRecords(model: MaskRcnn, config: RunConfig, categories: CocoCategory[], records: ImageRecord[], cache: ImageCache, batchSize: number, onBatch?: (done: number) => void, pool?: DataParallel): Promise<CocoResult[]> {
  const results: CocoResult[] = [];
  for (let i = 0; i < records.length; i += batchSize) {
    const recs = records.slice(i, i + batchSize);
    const prepared = await Promise.all(recs.map((r) => prepareImage(r, cache, config.input.testShortSide, config.input.maxSize, false, false)));
    let dets: ImageDetections[];
    if (pool) {
      dets = await pool.detect(model, prepared, config.input.sizeDivisibility);
    } else {
      const batch = makeBatch(prepared, config.input.sizeDivisibility);
      try {
        dets = await model.detect(batch);
      } finally {
        batch.images.dispose();
      }
    }
    dets.forEach((d, k) => results.push(...detectionsToCoco(d, recs[k], [prepared[k].height, prepared[k].width], categories, config.mask.threshold)));
    onBatch?.(i + recs.length);
  }
  return results;
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp', '.gif']);

/**
 * Image records from --images: a COCO JSON (snapshot or export; file names relative to it or its
 * images/ sub-folder; ids kept) or a directory of image files (ids 1..n by sorted name).
 */
export async function imagesFromSource(source: string, classes: ClassMap): Promise<ImageRecord[]> {
  const path = resolve(source);
  if (!existsSync(path)) throw new Error(`Error in imagesFromSource: ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
    const recs: ImageRecord[] = [];
    for (const [i, f] of files.entries()) {
      const meta = await sharp(join(path, f)).metadata();
      recs.push({ id: i + 1, path: join(path, f), width: meta.width ?? 0, height: meta.height ?? 0, split: undefined, instances: [] });
    }
    return recs;
  }
  return imageRecords(readCoco(path), dirname(path), classes);
}

/**
 * Loads a trained model from a run folder (checkpoints/best, else checkpoints/last) with a
 * data-parallel pool for inference: one shard per core up to the images per batch, on this
 * machine's cores (not the training machine's), leftover cores as XNNPACK threads.
 */
export async function loadModel(runDir: string): Promise<{ model: MaskRcnn; config: RunConfig; categories: CocoCategory[]; backend: BackendName; pool: DataParallel }> {
  const best = join(runDir, 'checkpoints', 'best'), last = join(runDir, 'checkpoints', 'last');
  const path = existsSync(best) ? best : last;
  const ck = readCheckpoint(path);
  const config = ck.state.config, ims = config.solver.imsPerBatch;
  const wasmThreads = plannedWasmThreads(0, 0, ims);
  const backend = await initBackend(config.backend, { wasmThreads });
  const options = buildMaskRcnnOptions(config, ck.state.categories.length);
  const model = new MaskRcnn(options);
  restoreCheckpoint(ck, model.store);
  const pool = await DataParallel.startOrSingle(resolveWorkers(0, backend, ims), backend, options, () => {}, wasmThreads);
  return { model, config, categories: ck.state.categories, backend, pool };
}

export interface PredictOptions {
  images: string;
  out: string;
  onProgress?: (done: number, total: number) => void;
}

/** `fieldwork-train predict`: writes COCO results for every image of the source; returns their count. */
export async function predict(runDir: string, opts: PredictOptions): Promise<number> {
  const { model, config, categories, pool } = await loadModel(runDir);
  try {
    const records = await imagesFromSource(opts.images, { categories });
    const results = await predictRecords(model, config, categories, records, new ImageCache(), config.solver.imsPerBatch, (d) => opts.onProgress?.(d, records.length), pool);
    writeJsonAtomic(opts.out, results);
    return results.length;
  } finally {
    await pool.close();
    model.dispose();
  }
}
