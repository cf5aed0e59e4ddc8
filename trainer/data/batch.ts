// Samples as plain data (they cross to worker threads and to the GPU host page), their ground truth
// as the model sees it, and batching. No Node APIs and no sharp: the GPU host page (trainer/gpu_host)
// bundles this file for the browser; ./loader.ts decodes and prepares the samples.
import * as tf from '@tensorflow/tfjs-core';
import { cropMask, maskTarget, type BinaryMask } from './mask_targets.ts';
import type { CropWindow } from './augment.ts';
import type { GtInstances, ImageBatch } from '../model/mask_rcnn.ts';

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
  /** Set when the frame is a window of a larger resized image (large-scale jitter); flip applies after the crop. */
  crop?: CropWindow;
  /** Instance masks at the resolution of the annotations (unflipped); lazily rasterised in the main thread. */
  masks: BinaryMask[] | (() => BinaryMask[]);
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
      const crop = src.crop;
      const mx = m.width / (crop?.fullWidth ?? w), my = m.height / (crop?.fullHeight ?? h);
      const ox = crop?.x0 ?? 0, oy = crop?.y0 ?? 0;
      const bx1 = flip ? w - box[2] : box[0], bx2 = flip ? w - box[0] : box[2];
      return maskTarget(m, [(bx1 + ox) * mx, (box[1] + oy) * my, (bx2 + ox) * mx, (box[3] + oy) * my], size, flip);
    },
  };
}

/** A GtSource with its masks resolved and cropped to their content (no work for masks already cropped, as the cache keeps them), ready to post to a worker. */
export function portableTruth(src: GtSource): GtSource {
  const masks = typeof src.masks === 'function' ? src.masks() : src.masks;
  return { ...src, masks: masks.map(cropMask) };
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
