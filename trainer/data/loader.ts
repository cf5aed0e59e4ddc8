// Image decode (sharp), resize + flip augmentation, GT preparation and batching.
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { segmentationToRle, rleToMask } from '../eval/rle.ts';
import { cropMask, maskTarget, type BinaryMask } from './mask_targets.ts';
import type { ImageRecord } from './snapshot.ts';
import type { GtInstances, ImageBatch } from '../model/mask_rcnn.ts';

export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes any sharp-supported image to RGB (alpha dropped), upright: EXIF orientation is applied, as the
 * app's import, the browsers that show the image and the labels' coordinate frame all assume.
 */
export async function decodeImage(path: string): Promise<DecodedImage> {
  try {
    const { data, info } = await sharp(path).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    throw new Error(`Error in decodeImage: cannot decode ${path}: ${(e as Error).message}`);
  }
}

/** Resize scale so the short side becomes `shortSide` without the long side exceeding `maxSize`. */
export function resizeScale(height: number, width: number, shortSide: number, maxSize: number): number {
  return Math.min(shortSide / Math.min(height, width), maxSize / Math.max(height, width));
}

/**
 * One image ready for the model, in plain data (it can cross to a worker thread): RGB pixels in its
 * own (resized, maybe flipped) frame and, for training, its ground truth.
 */
export interface Sample {
  /** [h, w, 3] RGB 0–255 */
  pixels: Uint8Array;
  height: number;
  width: number;
  truth?: GtSource;
}

/** Ground truth of a sample in plain data; gtInstances() turns it into the model's GtInstances. */
export interface GtSource {
  /** [G, 4] x1, y1, x2, y2 in the sample's frame. */
  boxes: Float32Array;
  /** [G] 1..K */
  classes: Int32Array;
  /** The sample's frame (width × height) and whether it was flipped left-right. */
  width: number;
  height: number;
  flip: boolean;
  /** Instance masks at the resolution of the annotations (unflipped); lazily rasterised in the main thread. */
  masks: BinaryMask[] | (() => BinaryMask[]);
}

/** A prepared sample plus how it was made and its GtInstances. */
export interface PreparedImage extends Sample {
  scale: number;
  flip: boolean;
  gt: GtInstances;
}

/**
 * The model's view of a sample's ground truth: boxes, classes and M×M mask targets sampled from the
 * full-resolution masks (so targets do not lose detail to the training resize).
 */
export function gtInstances(src: GtSource): GtInstances {
  const { width: w, height: h, flip } = src;
  const masks = () => (typeof src.masks === 'function' ? src.masks() : src.masks);
  return {
    boxes: src.boxes,
    classes: src.classes,
    maskTarget: (index, box, size) => {
      const all = masks();
      const m = all[index];
      if (!m) throw new Error(`Error in gtInstances: instance ${index} has no mask (${all.length} masks for ${src.classes.length} instances)`);
      const mx = m.width / w, my = m.height / h;
      const bx1 = flip ? w - box[2] : box[0], bx2 = flip ? w - box[0] : box[2];
      return maskTarget(m, [bx1 * mx, box[1] * my, bx2 * mx, box[3] * my], size, flip);
    },
  };
}

/** A GtSource with its masks resolved and cropped to their content (no work for masks already cropped, as the cache keeps them), ready to post to a worker. */
export function portableTruth(src: GtSource): GtSource {
  const masks = typeof src.masks === 'function' ? src.masks() : src.masks;
  return { ...src, masks: masks.map(cropMask) };
}

/**
 * Caches decoded images and rasterised GT masks (original resolution) so each epoch only resizes.
 * The cache stops growing at maxBytes.
 */
export class ImageCache {
  #images = new Map<string, DecodedImage>();
  #masks = new Map<string, BinaryMask[]>();
  #bytes = 0;
  constructor(readonly maxBytes = 1.5e9) {}

  async image(rec: ImageRecord): Promise<DecodedImage> {
    const hit = this.#images.get(rec.path);
    if (hit) return hit;
    const img = await decodeImage(rec.path);
    if (this.#bytes + img.data.length < this.maxBytes) { this.#images.set(rec.path, img); this.#bytes += img.data.length; }
    return img;
  }

  masks(rec: ImageRecord): BinaryMask[] {
    const hit = this.#masks.get(rec.path);
    if (hit) return hit;
    // Kept as windows around their pixels: smaller, and ready to post to a worker thread as they are.
    const masks = rec.instances.map((inst) => cropMask(instanceMask(inst.segmentation, inst.bbox, rec.height, rec.width)));
    const size = masks.reduce((s, m) => s + m.data.length, 0);
    if (this.#bytes + size < this.maxBytes) { this.#masks.set(rec.path, masks); this.#bytes += size; }
    return masks;
  }
}

/** Full-image 0/1 mask of an instance: its polygons / RLE, or its box when it has no segmentation. */
function instanceMask(seg: ImageRecord['instances'][number]['segmentation'], bbox: number[], height: number, width: number): BinaryMask {
  const hasSeg = seg !== undefined && (!Array.isArray(seg) || seg.some((r) => r.length >= 6));
  const rle = hasSeg
    ? segmentationToRle(Array.isArray(seg) ? seg.filter((r) => r.length >= 6) : seg!, height, width)
    : segmentationToRle([[bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3], bbox[0], bbox[1] + bbox[3]]], height, width);
  const [h, w] = rle.size;
  return { data: rleToMask(rle), height: h, width: w };
}

/**
 * Loads one image resized to `shortSide` (capped by maxSize), optionally flipped, with GT boxes in
 * that frame and a mask-target function sampling the original-resolution masks.
 */
export async function prepareImage(rec: ImageRecord, cache: ImageCache, shortSide: number, maxSize: number, flip: boolean, withGt: boolean): Promise<PreparedImage> {
  const img = await cache.image(rec);
  const scale = resizeScale(img.height, img.width, shortSide, maxSize);
  const w = Math.max(1, Math.round(img.width * scale)), h = Math.max(1, Math.round(img.height * scale));
  let pipe = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } }).resize(w, h, { fit: 'fill' });
  if (flip) pipe = pipe.flop();
  const buf = await pipe.raw().toBuffer();
  const pixels = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  // Annotations refer to rec.width × rec.height; the decoded file may differ (then scale them too).
  const sx = (w / rec.width), sy = (h / rec.height);
  const G = withGt ? rec.instances.length : 0;
  const boxes = new Float32Array(G * 4), classes = new Int32Array(G);
  for (let g = 0; g < G; g++) {
    const [x, y, bw, bh] = rec.instances[g].bbox;
    const x1 = x * sx, x2 = (x + bw) * sx;
    boxes.set(flip ? [w - x2, y * sy, w - x1, (y + bh) * sy] : [x1, y * sy, x2, (y + bh) * sy], 4 * g);
    classes[g] = rec.instances[g].classIndex;
  }
  const truth: GtSource = { boxes, classes, width: w, height: h, flip, masks: () => cache.masks(rec) };
  return { pixels, height: h, width: w, scale, flip, truth, gt: gtInstances(truth) };
}

/** Normalisation: a fixed affine map of 0–255 to roughly zero-mean, unit-scale inputs (no dataset stats). */
const PIXEL_MEAN = 127.5, PIXEL_SCALE = 1 / 64;

/** Pads prepared images (bottom/right, zeros after normalisation) to a common multiple of `divisibility`. */
export function makeBatch(images: Sample[], divisibility: number): ImageBatch {
  const H = Math.ceil(Math.max(...images.map((i) => i.height)) / divisibility) * divisibility;
  const W = Math.ceil(Math.max(...images.map((i) => i.width)) / divisibility) * divisibility;
  const data = new Float32Array(images.length * H * W * 3);
  images.forEach((im, b) => {
    for (let y = 0; y < im.height; y++) {
      const src = y * im.width * 3, dst = ((b * H + y) * W) * 3;
      for (let k = 0; k < im.width * 3; k++) data[dst + k] = (im.pixels[src + k] - PIXEL_MEAN) * PIXEL_SCALE;
    }
  });
  return { images: tf.tensor4d(data, [images.length, H, W, 3]), sizes: images.map((i) => [i.height, i.width]) };
}
