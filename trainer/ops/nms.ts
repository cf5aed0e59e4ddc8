// Greedy non-maximum suppression on flat [N, 4] boxes.

/**
 * Indices of kept boxes, by decreasing score: a box is dropped when its IoU with an already kept
 * box exceeds iouThreshold. boxes [N, 4] x1, y1, x2, y2; scores [N].
 */
export function nms(boxes: Float32Array, scores: ArrayLike<number>, iouThreshold: number, maxOutput = Infinity): number[] {
  const n = scores.length;
  if (boxes.length !== 4 * n) throw new Error(`Error in nms: ${boxes.length / 4} boxes vs ${n} scores`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const keep: number[] = [];
  const suppressed = new Uint8Array(n);
  const areas = new Float64Array(n);
  for (let i = 0; i < n; i++) areas[i] = Math.max(0, boxes[4 * i + 2] - boxes[4 * i]) * Math.max(0, boxes[4 * i + 3] - boxes[4 * i + 1]);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    if (suppressed[i]) continue;
    keep.push(i);
    if (keep.length >= maxOutput) break;
    const x1 = boxes[4 * i], y1 = boxes[4 * i + 1], x2 = boxes[4 * i + 2], y2 = boxes[4 * i + 3];
    const area = areas[i];
    for (let q = p + 1; q < n; q++) {
      const j = order[q];
      if (suppressed[j]) continue;
      const iw = Math.min(x2, boxes[4 * j + 2]) - Math.max(x1, boxes[4 * j]);
      const ih = Math.min(y2, boxes[4 * j + 3]) - Math.max(y1, boxes[4 * j + 1]);
      if (iw <= 0 || ih <= 0) continue;
      const inter = iw * ih;
      if (inter / (area + areas[j] - inter) > iouThreshold) suppressed[j] = 1;
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
