// Mask-head targets: each positive RoI's GT mask resampled to an M×M grid inside the RoI box.

/** A binary instance mask, row-major 0/1, at the resolution its coordinates refer to. */
export interface BinaryMask {
  data: Uint8Array;
  height: number;
  width: number;
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
  const at = (y: number, x: number) => (y < 0 || y >= H || x < 0 || x >= W ? 0 : data[y * W + x]);
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
