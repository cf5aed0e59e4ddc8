// Learning curve: train on 25 / 50 / 100 % of the training images, evaluate each on the same val split, and
// ask whether AP is still rising with data — and, very roughly, what more images would buy.
// Model: AP ≈ a + b·ln(images), least squares. Detection AP vs. data size is close to log-linear over a
// decade or two (and bends over eventually), so this is a rough guess, never a promise.

export interface LearningCurvePoint {
  fraction: number;
  trainImages: number;
  /** val AP (0..1) of the model trained on this fraction. */
  valAP: number;
}

export interface LearningCurveProjection {
  trainImages: number;
  /** Predicted val AP, capped at 1. */
  valAP: number;
}

export interface LearningCurveResult {
  /** true when the fitted gain per doubling is above MIN_GAIN_PER_DOUBLING and the last step still went up. */
  stillRising: boolean | null;
  /** AP gained per doubling of the training images (b·ln 2), null when it cannot be fitted. */
  gainPerDoubling: number | null;
  /** Fit quality (R²) over the points; null with < 3 distinct sizes. */
  r2: number | null;
  /** Predictions at 2× and 4× the largest training set. */
  projections: LearningCurveProjection[];
  /** Extra images (beyond the largest set) to gain TARGET_GAIN AP, if the trend holds; null when flat. */
  imagesForTargetGain: number | null;
  message: string;
}

/** Below this gain per doubling (0.01 AP) the curve is flat: more of the same images will not help much. */
export const MIN_GAIN_PER_DOUBLING = 0.01;
/** The gain we translate into a number of images ("to gain +0.05 AP you'd need roughly N more images"). */
export const TARGET_GAIN = 0.05;

const f2 = (x: number) => x.toFixed(2);
const roundNice = (n: number) => {
  if (n < 100) return Math.ceil(n / 10) * 10;
  const p = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.ceil(n / p) * p;
};

export function learningCurve(points: readonly LearningCurvePoint[]): LearningCurveResult {
  const pts = points
    .filter((p) => p.trainImages > 0 && Number.isFinite(p.valAP) && p.valAP >= 0)
    .slice()
    .sort((a, b) => a.trainImages - b.trainImages);
  const sizes = new Set(pts.map((p) => p.trainImages));
  const empty: LearningCurveResult = {
    stillRising: null,
    gainPerDoubling: null,
    r2: null,
    projections: [],
    imagesForTargetGain: null,
    message: '',
  };
  if (sizes.size < 2) {
    return { ...empty, message: 'A learning curve needs val AP for at least two training-set sizes (e.g. 50 % and 100 %).' };
  }
  const xs = pts.map((p) => Math.log(p.trainImages));
  const ys = pts.map((p) => p.valAP);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const b = sxy / sxx;
  const a = my - b * mx;
  const r2 = sizes.size >= 3 ? (syy > 0 ? (sxy * sxy) / (sxx * syy) : 1) : null;
  const gainPerDoubling = b * Math.LN2;
  const largest = pts[pts.length - 1].trainImages;
  const prevSize = [...sizes].sort((p, q) => p - q).at(-2)!;
  const apAt = (size: number) => {
    const ps = pts.filter((p) => p.trainImages === size);
    return ps.reduce((s, p) => s + p.valAP, 0) / ps.length;
  };
  const lastStepUp = apAt(largest) > apAt(prevSize);
  const stillRising = gainPerDoubling >= MIN_GAIN_PER_DOUBLING && lastStepUp;
  const predict = (size: number) => Math.min(1, Math.max(0, a + b * Math.log(size)));
  const projections = [2, 4].map((k) => ({ trainImages: largest * k, valAP: predict(largest * k) }));
  const imagesForTargetGain = b > 0 && gainPerDoubling >= MIN_GAIN_PER_DOUBLING ? roundNice(largest * (Math.exp(TARGET_GAIN / b) - 1)) : null;

  let message: string;
  const curve = pts.map((p) => `${p.trainImages} → ${f2(p.valAP)}`).join(', ');
  if (stillRising) {
    message =
      `Val AP is still rising with more data (${curve}; about +${f2(gainPerDoubling)} AP per doubling). ` +
      `Rough guess if the trend holds: ${projections[0].trainImages} images → ~${f2(projections[0].valAP)} AP` +
      (imagesForTargetGain !== null ? `; +${f2(TARGET_GAIN)} AP would take roughly ${imagesForTargetGain} more images.` : '.') +
      ' Labelling more target images is likely the best use of your time.';
  } else if (gainPerDoubling >= MIN_GAIN_PER_DOUBLING && !lastStepUp) {
    message = `Mixed signal (${curve}): AP rose overall but not in the last step — the val set may be too small to tell; treat any extrapolation as noise.`;
  } else {
    message = `Val AP is flat with data (${curve}; ${gainPerDoubling >= 0 ? '+' : ''}${f2(gainPerDoubling)} AP per doubling): more images like these are unlikely to help much; look at label quality, class balance, harder examples or a longer schedule instead.`;
  }
  if (r2 !== null && r2 < 0.5) message += ` (The log-linear fit is poor, R² ${f2(r2)}: a very rough guess.)`;
  else message += ' (A rough guess from a log-linear fit.)';
  return { stillRising, gainPerDoubling, r2, projections, imagesForTargetGain, message };
}
