// Image decode (sharp), resize + flip augmentation and GT preparation; batching is in ./batch.ts.
import sharp from 'sharp';
import { segmentationToRle, rleToMask } from '../common/rle.ts';
import { cropMask, type BinaryMask } from './mask_targets.ts';
import type { ImageRecord } from './snapshot.ts';
import type { GtInstances } from '../model/mask_rcnn.ts';
import { gtInstances, type GtSource, type Sample } from './batch.ts';
import { MIN_VISIBLE, applyPhotometric, cropBoxes, cropPixels, randomWindow, type Augment, type CropWindow } from './augment.ts';
import { copyPaste, type FrameInstances, type PastePlan } from './copy_paste.ts';

// Plain-data samples and batching live in ./batch.ts (no sharp: the GPU host page bundles them too).
export { gtInstances, makeBatch, portableTruth, type GtSource, type Sample } from './batch.ts';

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

/** A prepared sample plus how it was made and its GtInstances. */
export interface PreparedImage extends Sample {
  scale: number;
  flip: boolean;
  gt: GtInstances;
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
export async function prepareImage(rec: ImageRecord, cache: ImageCache, shortSide: number, maxSize: number, flip: boolean, withGt: boolean, aug?: Augment): Promise<PreparedImage> {
  if (aug) return prepareAugmented(rec, cache, shortSide, maxSize, flip, withGt, aug);
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

/**
 * prepareImage with augmentation: resize by `aug.scaleFactor` × the short side, crop a window of the
 * un-jittered size at a random place (large-scale jitter), flip, photometric jitter. Boxes are clipped
 * to the window; instances that leave it are dropped, and the mask targets of the rest are sampled
 * from the original masks through the window (see gtInstances).
 */
async function prepareAugmented(rec: ImageRecord, cache: ImageCache, shortSide: number, maxSize: number, flip: boolean, withGt: boolean, aug: Augment): Promise<PreparedImage> {
  const img = await cache.image(rec);
  const base = resizeScale(img.height, img.width, shortSide, maxSize);
  const outW = Math.max(1, Math.round(img.width * base)), outH = Math.max(1, Math.round(img.height * base));
  const scale = base * aug.scaleFactor;
  const fw = Math.max(1, Math.round(img.width * scale)), fh = Math.max(1, Math.round(img.height * scale));
  const buf = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } }).resize(fw, fh, { fit: 'fill' }).raw().toBuffer();
  const win = randomWindow(fw, fh, outW, outH, aug.rng);
  let pixels = cropPixels(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), fw, win);
  const { width: w, height: h } = win;
  if (flip) pixels = flipPixels(pixels, w, h);
  if (aug.photometric) applyPhotometric(pixels, aug.photometric);
  const sx = fw / rec.width, sy = fh / rec.height;
  const G = withGt ? rec.instances.length : 0;
  const full = new Float32Array(G * 4);
  for (let g = 0; g < G; g++) {
    const [x, y, bw, bh] = rec.instances[g].bbox;
    full.set([x * sx, y * sy, (x + bw) * sx, (y + bh) * sy], 4 * g);
  }
  const clipped = cropBoxes(full, win);
  // A box cut by the window is re-fitted to what its mask shows inside it (clipping the box of a
  // non-rectangular shape leaves it loose); instances with nothing visible left are dropped.
  const masks = withGt ? cache.masks(rec) : [];
  const keep: number[] = [], fitted: number[] = [];
  clipped.keep.forEach((g, k) => {
    const inside = full[4 * g] >= win.x0 && full[4 * g + 1] >= win.y0 && full[4 * g + 2] <= win.x0 + win.width && full[4 * g + 3] <= win.y0 + win.height;
    const box = inside ? Array.from(clipped.boxes.subarray(4 * k, 4 * k + 4)) : visibleBox(masks[g], fw / masks[g].width, fh / masks[g].height, win);
    if (!box || box[2] - box[0] < MIN_VISIBLE || box[3] - box[1] < MIN_VISIBLE) return;
    keep.push(g);
    fitted.push(...box);
  });
  const boxes = Float32Array.from(fitted);
  if (flip) for (let k = 0; k < keep.length; k++) { const x1 = boxes[4 * k]; boxes[4 * k] = w - boxes[4 * k + 2]; boxes[4 * k + 2] = w - x1; }
  const classes = Int32Array.from(keep.map((g) => rec.instances[g].classIndex));
  const truth: GtSource = { boxes, classes, width: w, height: h, flip, crop: win, masks: () => { const all = cache.masks(rec); return keep.map((g) => all[g]); } };
  return { pixels, height: h, width: w, scale, flip, truth, gt: gtInstances(truth) };
}

/** The extent, in `win`'s frame, of the pixels of `mask` (scaled by sx, sy) that fall inside the window; null when none do. */
function visibleBox(mask: BinaryMask, sx: number, sy: number, win: CropWindow): number[] | null {
  const w = mask.window ?? { x0: 0, y0: 0, rows: mask.height, cols: mask.width };
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (let r = 0; r < w.rows; r++) {
    const fy1 = (w.y0 + r) * sy - win.y0, fy2 = fy1 + sy;
    if (fy2 <= 0 || fy1 >= win.height) continue;
    for (let c = 0; c < w.cols; c++) {
      if (!mask.data[r * w.cols + c]) continue;
      const fx1 = (w.x0 + c) * sx - win.x0, fx2 = fx1 + sx;
      if (fx2 <= 0 || fx1 >= win.width) continue;
      if (fx1 < x1) x1 = fx1;
      if (fx2 > x2) x2 = fx2;
      if (fy1 < y1) y1 = fy1;
      if (fy2 > y2) y2 = fy2;
    }
  }
  return x2 < x1 ? null : [Math.max(0, x1), Math.max(0, y1), Math.min(win.width, x2), Math.min(win.height, y2)];
}

/**
 * The instance masks of `src` rasterised in its sample's frame (width × height, flip and crop
 * applied): each frame pixel's centre mapped back to the annotation-resolution mask, as gtInstances
 * maps its mask targets.
 */
export function frameMasks(src: GtSource): Uint8Array[] {
  const { width: w, height: h, flip, crop } = src;
  const all = typeof src.masks === 'function' ? src.masks() : src.masks;
  const fullW = crop?.fullWidth ?? w, fullH = crop?.fullHeight ?? h, ox = crop?.x0 ?? 0, oy = crop?.y0 ?? 0;
  return all.map((m) => {
    const out = new Uint8Array(w * h);
    const win = m.window ?? { x0: 0, y0: 0, rows: m.height, cols: m.width };
    const sx = m.width / fullW, sy = m.height / fullH;
    for (let y = 0; y < h; y++) {
      const my = Math.floor((y + oy + 0.5) * sy) - win.y0;
      if (my < 0 || my >= win.rows) continue;
      for (let x = 0; x < w; x++) {
        const ux = flip ? w - 1 - x : x;
        const mx = Math.floor((ux + ox + 0.5) * sx) - win.x0;
        if (mx >= 0 && mx < win.cols && m.data[my * win.cols + mx]) out[y * w + x] = 1;
      }
    }
    return out;
  });
}

/** A prepared training image as copy-paste sees it: pixels and frame-resolution masks. */
export function frameInstances(p: PreparedImage): FrameInstances {
  if (!p.truth) throw new Error('Error in frameInstances: the sample has no ground truth');
  return { pixels: p.pixels, width: p.width, height: p.height, masks: frameMasks(p.truth), classes: p.truth.classes };
}

/**
 * `target` with `plan`'s instances of `source` pasted on (./copy_paste.ts). Its ground truth is then
 * held in its own frame (masks at frame resolution, already flipped and cropped), so its mask targets
 * come from the occluded masks.
 */
export function pasteInto(target: PreparedImage, source: PreparedImage, plan: PastePlan): PreparedImage {
  const r = copyPaste(frameInstances(target), frameInstances(source), plan);
  const masks = r.masks.map((data) => ({ data, width: target.width, height: target.height }));
  const truth: GtSource = { boxes: r.boxes, classes: r.classes, width: target.width, height: target.height, flip: false, masks };
  return { ...target, pixels: r.pixels, truth, gt: gtInstances(truth) };
}

function flipPixels(px: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(px.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const s = (y * w + x) * 3, d = (y * w + (w - 1 - x)) * 3;
    out[d] = px[s]; out[d + 1] = px[s + 1]; out[d + 2] = px[s + 2];
  }
  return out;
}

