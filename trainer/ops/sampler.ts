// Balanced positive/negative sampling of matched predictions (RPN anchors, RoI proposals).
import type { Rng } from '../common/rng.ts';

export interface SampleResult {
  positive: number[];
  negative: number[];
}

/**
 * labels [N]: 1 positive, 0 negative, anything else ignored. Picks at most
 * round(batchSize · positiveFraction) positives at random, then fills up to batchSize with negatives.
 */
export function sampleBalanced(labels: ArrayLike<number>, batchSize: number, positiveFraction: number, rng: Rng): SampleResult {
  const pos: number[] = [], neg: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) pos.push(i);
    else if (labels[i] === 0) neg.push(i);
  }
  const numPos = Math.min(pos.length, Math.floor(batchSize * positiveFraction));
  const numNeg = Math.min(neg.length, batchSize - numPos);
  return { positive: rng.sample(pos, numPos), negative: rng.sample(neg, numNeg) };
}
