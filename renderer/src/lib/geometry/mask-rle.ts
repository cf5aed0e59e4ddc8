// Bridges COCO RLE (trainer/common/rle.ts, column-major runs) and the cropped masks the canvas draws.
import type { Rle } from '../../../../electron/api.ts';
import { decompressCounts, rleToBbox } from '../../../../trainer/common/rle.ts';
import type { MaskCrop } from '../../../../trainer/common/geometry/mask.ts';

/**
 * Decodes only the foreground into a crop around it. Work is proportional to the foreground runs,
 * not to the image size, so a 4000×3000 image with many small masks stays cheap to show.
 */
export function rleToCrop(rle: Rle): MaskCrop | null {
  const [h] = rle.size;
  const [bx, by, bw, bh] = rleToBbox(rle);
  if (bw <= 0 || bh <= 0) return null;
  const crop: MaskCrop = { x: bx, y: by, w: bw, h: bh, data: new Uint8Array(bw * bh) };
  const counts = decompressCounts(rle.counts);
  let index = 0;
  for (let r = 0; r < counts.length; r++) {
    const run = counts[r];
    if (r % 2 === 1) {
      // Fill a foreground run; it may wrap over several columns.
      let i = index;
      const end = index + run;
      while (i < end) {
        const x = Math.floor(i / h);
        const y = i - x * h;
        const stop = Math.min(end, (x + 1) * h);
        const cx = x - bx;
        for (let yy = y; yy < y + (stop - i); yy++) crop.data[(yy - by) * bw + cx] = 1;
        i = stop;
      }
    }
    index += run;
  }
  return crop;
}

/** An offscreen canvas of the crop painted in `color` at `alpha` (0–255), transparent elsewhere. */
export function cropToCanvas(crop: MaskCrop, color: string, alpha: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = crop.w;
  canvas.height = crop.h;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(crop.w, crop.h);
  const r = parseInt(color.slice(1, 3), 16), g = parseInt(color.slice(3, 5), 16), b = parseInt(color.slice(5, 7), 16);
  const px = new Uint32Array(image.data.buffer);
  // ImageData is RGBA in memory; on little-endian machines that is ABGR as a 32-bit word.
  const value = ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
  for (let i = 0; i < crop.data.length; i++) if (crop.data[i]) px[i] = value;
  ctx.putImageData(image, 0, 0);
  return canvas;
}
