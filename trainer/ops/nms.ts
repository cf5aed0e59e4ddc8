// Greedy non-maximum suppression on flat [N, 4] boxes.

/**
 * Indices of kept boxes, by decreasing score: a box is dropped when its IoU with an already kept
 * box exceeds iouThreshold. boxes [N, 4] x1, y1, x2, y2; scores [N].
 */
export function nms(boxes: Float32Array, scores: ArrayLike<number>, iouThreshold: number, maxOutput = Infinity): number[] {
  const n = scores.length;
  if (boxes.length !== 4 * n) throw new Error(`Error in nms: ${boxes.length / 4} boxes vs ${n} scores`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  // Coordinates and areas laid out in score order: the inner loop walks memory in sequence.
  const x1 = new Float64Array(n), y1 = new Float64Array(n), x2 = new Float64Array(n), y2 = new Float64Array(n), area = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    x1[p] = boxes[4 * i]; y1[p] = boxes[4 * i + 1]; x2[p] = boxes[4 * i + 2]; y2[p] = boxes[4 * i + 3];
    area[p] = Math.max(0, x2[p] - x1[p]) * Math.max(0, y2[p] - y1[p]);
  }
  const keep: number[] = [];
  const suppressed = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    if (suppressed[p]) continue;
    keep.push(order[p]);
    if (keep.length >= maxOutput) break;
    const ax1 = x1[p], ay1 = y1[p], ax2 = x2[p], ay2 = y2[p], aArea = area[p];
    for (let q = p + 1; q < n; q++) {
      if (suppressed[q]) continue;
      const iw = Math.min(ax2, x2[q]) - Math.max(ax1, x1[q]);
      if (iw <= 0) continue;
      const ih = Math.min(ay2, y2[q]) - Math.max(ay1, y1[q]);
      if (ih <= 0) continue;
      const inter = iw * ih;
      if (inter / (aArea + area[q] - inter) > iouThreshold) suppressed[q] = 1;
    }
  }
  return keep;
}

/** NMS applied independently per group (class or FPN level); result sorted by decreasing score. */
export function batchedNms(boxes: Float32Array, scores: ArrayLike<number>, groups: ArrayLike<number>, iouThreshold: number, maxOutput = Infinity): number[] {
  const byGroup = new Map<number, number[]>();
  for (let i = 0; i < scores.length; i++) {
    const g = groups[i];
    if (!byGroup.has(g)) byGroup.set(g, []);
    byGroup.get(g)!.push(i);
  }
  const keep: number[] = [];
  for (const idx of byGroup.values()) {
    const sub = new Float32Array(idx.length * 4);
    idx.forEach((k, i) => sub.set(boxes.subarray(4 * k, 4 * k + 4), 4 * i));
    // A group never contributes more than maxOutput to the overall top maxOutput: it can stop there.
    for (const k of nms(sub, idx.map((k) => scores[k]), iouThreshold, maxOutput)) keep.push(idx[k]);
  }
  keep.sort((a, b) => scores[b] - scores[a] || a - b);
  return keep.slice(0, Math.min(keep.length, maxOutput));
}
