// Assigns each prediction (anchor / proposal) to a ground-truth box by IoU.

/** Match value for a prediction below the low threshold (background). */
export const BELOW_LOW = -1;
/** Match value for a prediction between the thresholds (ignored by the loss). */
export const BETWEEN = -2;

export interface MatcherOptions {
  /** IoU ≥ high → matched to its best GT. */
  high: number;
  /** IoU < low → BELOW_LOW; between → BETWEEN (when low < high). */
  low: number;
  /**
   * Also match each GT to the predictions with its highest IoU even below `high` (RPN: true, so every
   * object gets an anchor; RoI heads: false).
   */
  allowLowQuality: boolean;
}

/**
 * iou: [G, N] row-major (GT × predictions). Returns Int32Array [N]: GT index ≥ 0, or BELOW_LOW / BETWEEN.
 * With G = 0 every prediction is BELOW_LOW.
 */
export function matchBoxes(iou: Float32Array, numGt: number, numPred: number, opts: MatcherOptions): Int32Array {
  if (iou.length !== numGt * numPred) throw new Error(`Error in matchBoxes: iou has ${iou.length} values, expected ${numGt}×${numPred}`);
  const matches = new Int32Array(numPred).fill(BELOW_LOW);
  if (numGt === 0) return matches;
  for (let n = 0; n < numPred; n++) {
    let best = -1, bestIou = -1;
    for (let g = 0; g < numGt; g++) {
      const v = iou[g * numPred + n];
      if (v > bestIou) { bestIou = v; best = g; }
    }
    matches[n] = bestIou >= opts.high ? best : bestIou >= opts.low ? BETWEEN : BELOW_LOW;
  }
  if (opts.allowLowQuality) {
    for (let g = 0; g < numGt; g++) {
      let max = 0;
      for (let n = 0; n < numPred; n++) max = Math.max(max, iou[g * numPred + n]);
      if (max <= 0) continue;
      for (let n = 0; n < numPred; n++) {
        if (iou[g * numPred + n] === max) {
          // Keep the GT with the highest IoU for this prediction (ties across GTs go to the best one).
          let best = 0, bestIou = -1;
          for (let h = 0; h < numGt; h++) if (iou[h * numPred + n] > bestIou) { bestIou = iou[h * numPred + n]; best = h; }
          matches[n] = best;
        }
      }
    }
  }
  return matches;
}
