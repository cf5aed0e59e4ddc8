// Box utilities on flat Float32Arrays. Boxes are [N, 4] x1, y1, x2, y2 in pixels, row-major.

/** IoU matrix [A, B] (row-major) between boxes a [A, 4] and b [B, 4]. Empty boxes give IoU 0. */
export function boxIou(a: Float32Array, b: Float32Array): Float32Array {
  const na = a.length / 4, nb = b.length / 4;
  const out = new Float32Array(na * nb);
  for (let i = 0; i < na; i++) {
    const ax1 = a[4 * i], ay1 = a[4 * i + 1], ax2 = a[4 * i + 2], ay2 = a[4 * i + 3];
    const areaA = Math.max(0, ax2 - ax1) * Math.max(0, ay2 - ay1);
    for (let j = 0; j < nb; j++) {
      const bx1 = b[4 * j], by1 = b[4 * j + 1], bx2 = b[4 * j + 2], by2 = b[4 * j + 3];
      const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
      const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
      if (iw <= 0 || ih <= 0) continue;
      const inter = iw * ih;
      const union = areaA + Math.max(0, bx2 - bx1) * Math.max(0, by2 - by1) - inter;
      out[i * nb + j] = union > 0 ? inter / union : 0;
    }
  }
  return out;
}

/** Clips boxes [N, 4] in place to an image of height × width. */
export function clipBoxes(boxes: Float32Array, height: number, width: number): Float32Array {
  for (let i = 0; i < boxes.length; i += 4) {
    boxes[i] = Math.min(Math.max(boxes[i], 0), width);
    boxes[i + 1] = Math.min(Math.max(boxes[i + 1], 0), height);
    boxes[i + 2] = Math.min(Math.max(boxes[i + 2], 0), width);
    boxes[i + 3] = Math.min(Math.max(boxes[i + 3], 0), height);
  }
  return boxes;
}

/** Indices of boxes whose width and height are both ≥ minSize. */
export function nonEmptyBoxes(boxes: Float32Array, minSize = 1e-3): number[] {
  const keep: number[] = [];
  for (let i = 0; i < boxes.length / 4; i++) {
    if (boxes[4 * i + 2] - boxes[4 * i] >= minSize && boxes[4 * i + 3] - boxes[4 * i + 1] >= minSize) keep.push(i);
  }
  return keep;
}

/** Rows `idx` of a [N, k] flat array. */
export function takeRows(a: Float32Array, idx: ArrayLike<number>, k = 4): Float32Array {
  const out = new Float32Array(idx.length * k);
  for (let i = 0; i < idx.length; i++) out.set(a.subarray(idx[i] * k, idx[i] * k + k), i * k);
  return out;
}
