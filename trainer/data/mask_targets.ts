// Mask-head targets: each positive RoI's GT mask resampled to an M×M grid inside the RoI box.
import { cropMask as tightCrop } from '../common/geometry/mask.ts';

/** A binary instance mask, row-major 0/1, at the resolution its coordinates refer to. */
export interface BinaryMask {
  data: Uint8Array;
  height: number;
  width: number;
  /**
   * Set when `data` holds only a window of the height × width frame (every pixel outside it is 0):
   * `rows` × `cols` pixels whose top-left is (x0, y0). See cropMask.
   */
  window?: { x0: number; y0: number; rows: number; cols: number };
}

/**
 * The same mask as a window around its non-zero pixels (all of it when it is already one): what
 * crosses to a worker thread instead of a full-resolution frame. maskTarget gives identical results
 * for both (it reads 0 outside the window, as the full mask holds there).
 */
export function cropMask(mask: BinaryMask): BinaryMask {
  if (mask.window) return mask;
  const { height, width } = mask;
  const crop = tightCrop(mask.data, width, height);
  if (!crop) return { data: new Uint8Array(0), height, width, window: { x0: 0, y0: 0, rows: 0, cols: 0 } };
  return { data: crop.data, height, width, window: { x0: crop.x, y0: crop.y, rows: crop.h, cols: crop.w } };
}

/**
 * Samples `mask` bilinearly at the centres of an M×M grid over `box` (x1, y1, x2, y2 in mask pixel
 * coordinates, half-pixel convention) and thresholds at 0.5. Returns [M·M] row-major 0/1 floats.
 * With `flip`, the result is mirrored left-right (the box is given in the unflipped frame).
 */
export function maskTarget(mask: BinaryMask, box: ArrayLike<number>, size: number, flip = false): Float32Array {
  const { data, height: H, width: W } = mask;
  const out = new Float32Array(size * size);
  const x1 = box[0], y1 = box[1];
  const bw = (box[2] - box[0]) / size, bh = (box[3] - box[1]) / size;
  const win = mask.window;
  const at = win
    ? (y: number, x: number) => {
      const yy = y - win.y0, xx = x - win.x0;
      return yy < 0 || yy >= win.rows || xx < 0 || xx >= win.cols ? 0 : data[yy * win.cols + xx];
    }
    : (y: number, x: number) => (y < 0 || y >= H || x < 0 || x >= W ? 0 : data[y * W + x]);
  for (let i = 0; i < size; i++) {
    const y = y1 + (i + 0.5) * bh - 0.5;
    const y0 = Math.floor(y), ly = y - y0;
    for (let j = 0; j < size; j++) {
      const x = x1 + (j + 0.5) * bw - 0.5;
      const x0 = Math.floor(x), lx = x - x0;
      const v = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x0 + 1)) + ly * ((1 - lx) * at(y0 + 1, x0) + lx * at(y0 + 1, x0 + 1));
      out[i * size + (flip ? size - 1 - j : j)] = v >= 0.5 ? 1 : 0;
    }
  }
  return out;
}
