// Augmentation for small data trained from scratch (config input.scaleJitter, input.photometric):
//  - large-scale jitter (Ghiasi et al. 2021, "Simple Copy-Paste is a Strong Data Augmentation
//    Method"): resize by a random factor of the training scale, then crop a window of the
//    un-jittered size (or keep the whole, smaller image; the batch pads it). Boxes are clipped to the
//    window and instances left with less than MIN_VISIBLE px on a side are dropped; mask targets are
//    sampled from the original masks through the same window, so they still match their boxes.
//  - photometric jitter: brightness, contrast and saturation factors drawn per image.
import type { Rng } from '../common/rng.ts';

/** A crop of a resized frame: the window's top-left in the full resized image, and that image's size. */
export interface CropWindow {
  x0: number;
  y0: number;
  /** The resized (pre-crop) image. */
  fullWidth: number;
  fullHeight: number;
  /** The window (≤ the full image). */
  width: number;
  height: number;
}

/** Instances whose clipped box is thinner than this (pixels) are dropped after a crop. */
export const MIN_VISIBLE = 2;

/** A random window of at most `outW`×`outH` inside a `fullW`×`fullH` image. */
export function randomWindow(fullW: number, fullH: number, outW: number, outH: number, rng: Rng): CropWindow {
  const width = Math.min(fullW, outW), height = Math.min(fullH, outH);
  return { x0: rng.int(fullW - width + 1), y0: rng.int(fullH - height + 1), fullWidth: fullW, fullHeight: fullH, width, height };
}

/**
 * Boxes [G, 4] (x1, y1, x2, y2 in the full resized frame) moved into `win` and clipped to it. Returns
 * the kept boxes and the indices of the instances they belong to.
 */
export function cropBoxes(boxes: Float32Array, win: CropWindow): { boxes: Float32Array; keep: number[] } {
  const keep: number[] = [], out: number[] = [];
  for (let g = 0; g < boxes.length / 4; g++) {
    const x1 = Math.max(0, boxes[4 * g] - win.x0), y1 = Math.max(0, boxes[4 * g + 1] - win.y0);
    const x2 = Math.min(win.width, boxes[4 * g + 2] - win.x0), y2 = Math.min(win.height, boxes[4 * g + 3] - win.y0);
    if (x2 - x1 < MIN_VISIBLE || y2 - y1 < MIN_VISIBLE) continue;
    keep.push(g);
    out.push(x1, y1, x2, y2);
  }
  return { boxes: Float32Array.from(out), keep };
}

/** Copies the `win` window out of a `fullW`-wide RGB image. */
export function cropPixels(pixels: Uint8Array, fullW: number, win: CropWindow): Uint8Array {
  const out = new Uint8Array(win.width * win.height * 3);
  for (let y = 0; y < win.height; y++) {
    const src = ((win.y0 + y) * fullW + win.x0) * 3;
    out.set(pixels.subarray(src, src + win.width * 3), y * win.width * 3);
  }
  return out;
}

export interface Photometric {
  brightness: number;
  contrast: number;
  saturation: number;
}

/** Factors in [1 − strength, 1 + strength] each. */
export function randomPhotometric(strength: number, rng: Rng): Photometric {
  const f = () => 1 + (2 * rng.next() - 1) * strength;
  return { brightness: f(), contrast: f(), saturation: f() };
}

/** Applies brightness, then contrast about the image mean, then saturation about each pixel's grey, in place. */
export function applyPhotometric(pixels: Uint8Array, p: Photometric): Uint8Array {
  let mean = 0;
  for (let i = 0; i < pixels.length; i++) mean += pixels[i];
  mean = (mean / Math.max(1, pixels.length)) * p.brightness;
  for (let i = 0; i < pixels.length; i += 3) {
    let r = pixels[i] * p.brightness, g = pixels[i + 1] * p.brightness, b = pixels[i + 2] * p.brightness;
    r = mean + (r - mean) * p.contrast; g = mean + (g - mean) * p.contrast; b = mean + (b - mean) * p.contrast;
    const grey = 0.299 * r + 0.587 * g + 0.114 * b;
    r = grey + (r - grey) * p.saturation; g = grey + (g - grey) * p.saturation; b = grey + (b - grey) * p.saturation;
    pixels[i] = Math.max(0, Math.min(255, Math.round(r)));
    pixels[i + 1] = Math.max(0, Math.min(255, Math.round(g)));
    pixels[i + 2] = Math.max(0, Math.min(255, Math.round(b)));
  }
  return pixels;
}

/** What a training sample draws from its RNG: a scale factor on the short side, a crop, colour. */
export interface Augment {
  /** Multiplies the chosen short side (and max size); 1 = no jitter. */
  scaleFactor: number;
  rng: Rng;
  photometric?: Photometric;
}
