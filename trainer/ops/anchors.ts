// Anchors per FPN level, in the order the RPN head's outputs are flattened: (y, x, anchor).

export interface AnchorOptions {
  /** Anchor size (sqrt of area, pixels) per level. */
  sizes: number[];
  /** Aspect ratios h / w. */
  aspectRatios: number[];
  /** Feature stride per level (4, 8, 16, 32, 64 for P2..P6). */
  strides: number[];
}

/**
 * Base anchors centred on (0, 0) for one size: [A, 4] x1, y1, x2, y2, one per aspect ratio
 * (area size², h / w = ratio).
 */
export function cellAnchors(size: number, aspectRatios: number[]): Float32Array {
  const out = new Float32Array(aspectRatios.length * 4);
  aspectRatios.forEach((r, i) => {
    const w = size / Math.sqrt(r);
    const h = size * Math.sqrt(r);
    out.set([-w / 2, -h / 2, w / 2, h / 2], 4 * i);
  });
  return out;
}

/**
 * Anchors for each level: [H_l * W_l * A, 4] with centres at ((x + 0.5) · stride, (y + 0.5) · stride),
 * the centre of feature cell (x, y) under the half-pixel convention RoIAlign(aligned) also uses.
 * featureShapes: [height, width] per level.
 */
export function generateAnchors(opts: AnchorOptions, featureShapes: [number, number][]): Float32Array[] {
  if (featureShapes.length !== opts.sizes.length || opts.strides.length !== opts.sizes.length) {
    throw new Error(`Error in generateAnchors: ${featureShapes.length} feature maps for ${opts.sizes.length} sizes / ${opts.strides.length} strides`);
  }
  return featureShapes.map(([h, w], l) => {
    const base = cellAnchors(opts.sizes[l], opts.aspectRatios);
    const A = opts.aspectRatios.length;
    const s = opts.strides[l];
    const out = new Float32Array(h * w * A * 4);
    let o = 0;
    for (let y = 0; y < h; y++) {
      const cy = (y + 0.5) * s;
      for (let x = 0; x < w; x++) {
        const cx = (x + 0.5) * s;
        for (let a = 0; a < A; a++) {
          out[o++] = cx + base[4 * a];
          out[o++] = cy + base[4 * a + 1];
          out[o++] = cx + base[4 * a + 2];
          out[o++] = cy + base[4 * a + 3];
        }
      }
    }
    return out;
  });
}
