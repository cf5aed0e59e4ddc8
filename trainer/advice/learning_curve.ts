// Learning curve: train on 25 / 50 / 100 % of the training images, evaluate each on the same val split, and
// ask whether AP is still rising with data — and, roughly, what more images would buy.
//
// A conclusion ("more labels would help" / "unlikely to help") needs the 100 % run to have learned (its
// verdict is not `not_learned`): a curve of models that fit nothing is flat because nothing was trained,
// not because the data is enough. A rise counts only beyond the bootstrap intervals of the points.
//
// Fit: with ≥ 3 learned sizes, AP(n) = a − b·n^(−c) (b, c ≥ 0): the saturating power law that detection and
// classification learning curves follow over a decade or two of data (Hestness et al., "Deep learning
// scaling is predictable, empirically", 2017); a log-linear fit would rise without bound. c is searched on
// a grid and (a, b) solved by least squares for each c. The expected AP at 2× the labels carries an
// interval from refitting on the points redrawn within their bootstrap intervals (seeded). With two sizes
// only the log-linear slope is given, as a gain per doubling.

import { seededRandom } from '../common/rng.ts';

export interface LearningCurvePoint {
  fraction: number;
  trainImages: number;
  /** val AP (0..1) of the model trained on this fraction. */
  valAP: number;
  /** 95 % bootstrap interval of valAP, when measured. */
  valAPInterval?: [number, number] | null;
  /** false when that run's verdict was not_learned (or it has none); undefined when unknown (older records). */
  learned?: boolean | null;
}

export interface LearningCurveProjection {
  trainImages: number;
  /** Predicted val AP, capped at 1, with its interval when the points had intervals. */
  valAP: number;
  lo?: number | null;
  hi?: number | null;
}

export interface LearningCurveResult {
  /** true: more labels would help; false: unlikely to help; null: inconclusive. */
  stillRising: boolean | null;
  /** Why there is no conclusion, when stillRising is null and points exist. */
  inconclusive: string | null;
  /** AP gained per doubling of the training images (log-linear slope · ln 2), null when it cannot be fitted. */
  gainPerDoubling: number | null;
  /** Fit quality (R²) of the log-linear slope over the points; null with < 3 distinct sizes. */
  r2: number | null;
  /** The saturating fit AP(n) = a − b·n^(−c), with ≥ 3 learned sizes. */
  powerLaw: { a: number; b: number; c: number } | null;
  /** Predictions at 2× (and 4×) the largest training set. */
  projections: LearningCurveProjection[];
  /** Extra images (beyond the largest set) to gain TARGET_GAIN AP, if the trend holds; null when flat. */
  imagesForTargetGain: number | null;
  message: string;
}

/** Below this gain per doubling (1 AP point) the curve is flat: more of the same images will not help much. */
export const MIN_GAIN_PER_DOUBLING = 0.01;
/** The gain we translate into a number of images ("+5.0 % AP would take roughly N more images"). */
export const TARGET_GAIN = 0.05;
const PROJECTION_DRAWS = 400;

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const ptsText = (x: number) => `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)} points`;
const roundNice = (n: number) => {
  if (n < 100) return Math.ceil(n / 10) * 10;
  const p = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.ceil(n / p) * p;
};
const hw = (p: LearningCurvePoint) => (p.valAPInterval ? (p.valAPInterval[1] - p.valAPInterval[0]) / 2 : null);

/** Least-squares AP(n) = a − b·n^(−c) with b ≥ 0 and c on a grid in [0.05, 2]. */
export function fitPowerLaw(ns: readonly number[], ys: readonly number[]): { a: number; b: number; c: number; sse: number } | null {
  if (ns.length < 3) return null;
  let best: { a: number; b: number; c: number; sse: number } | null = null;
  for (let c = 0.05; c <= 2.0001; c += 0.01) {
    const xs = ns.map((n) => -(n ** -c)); // y = a + b·x
    const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
    const my = ys.reduce((s, y) => s + y, 0) / ys.length;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
    }
    const b = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
    const a = my - b * mx;
    let sse = 0;
    for (let i = 0; i < xs.length; i++) sse += (ys[i] - (a + b * xs[i])) ** 2;
    if (!best || sse < best.sse - 1e-15) best = { a, b, c, sse };
  }
  return best;
}

export function learningCurve(points: readonly LearningCurvePoint[]): LearningCurveResult {
  const pts = points
    .filter((p) => p.trainImages > 0 && Number.isFinite(p.valAP) && p.valAP >= 0)
    .slice()
    .sort((a, b) => a.trainImages - b.trainImages);
  const sizes = [...new Set(pts.map((p) => p.trainImages))];
  const empty: LearningCurveResult = { stillRising: null, inconclusive: null, gainPerDoubling: null, r2: null, powerLaw: null, projections: [], imagesForTargetGain: null, message: '' };
  if (sizes.length < 2) {
    return { ...empty, message: 'A learning curve needs val AP for at least two training-set sizes (e.g. 50 % and 100 %).' };
  }
  const curve = pts.map((p) => `${p.trainImages} → ${pct(p.valAP)}`).join(', ');
  const largest = sizes[sizes.length - 1];
  const top = pts.filter((p) => p.trainImages === largest);
  if (top.some((p) => p.learned === false)) {
    const why = `The run on all ${largest} training images has not fit its training images yet (its verdict is "not learned"), so the curve (${curve}) cannot say whether more labels would help.`;
    return { ...empty, inconclusive: why, message: `Inconclusive: ${why} Train the 100 % run longer (about 3× the schedule) or with a bigger preset first.` };
  }

  // log-linear slope: the gain per doubling over all points
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
  const slope = sxy / sxx;
  const r2 = sizes.length >= 3 ? (syy > 0 ? (sxy * sxy) / (sxx * syy) : 1) : null;
  const gainPerDoubling = slope * Math.LN2;
  const apAt = (size: number) => {
    const ps = pts.filter((p) => p.trainImages === size);
    return ps.reduce((s, p) => s + p.valAP, 0) / ps.length;
  };
  const prevSize = sizes[sizes.length - 2];
  const step = apAt(largest) - apAt(prevSize);
  const hTop = top.map(hw).find((h) => h !== null) ?? null;
  const hPrev = pts.filter((p) => p.trainImages === prevSize).map(hw).find((h) => h !== null) ?? null;
  const stepNoise = hTop !== null && hPrev !== null ? Math.sqrt(hTop * hTop + hPrev * hPrev) : null;
  const lastStepUp = stepNoise !== null ? step > stepNoise : step > 0;
  const stillRising = gainPerDoubling >= MIN_GAIN_PER_DOUBLING && lastStepUp;

  // the saturating fit and its projection, with ≥ 3 learned sizes
  const learnedPts = pts.filter((p) => p.learned !== false);
  const learnedSizes = new Set(learnedPts.map((p) => p.trainImages));
  let powerLaw: LearningCurveResult['powerLaw'] = null;
  let projections: LearningCurveProjection[] = [];
  const predictLog = (size: number) => Math.min(1, Math.max(0, my + slope * (Math.log(size) - mx)));
  if (learnedSizes.size >= 3) {
    const fit = fitPowerLaw(learnedPts.map((p) => p.trainImages), learnedPts.map((p) => p.valAP))!;
    powerLaw = { a: fit.a, b: fit.b, c: fit.c };
    const at = (f: { a: number; b: number; c: number }, size: number) => Math.min(1, Math.max(0, f.a - f.b * size ** -f.c));
    projections = [2, 4].map((k) => ({ trainImages: largest * k, valAP: at(fit, largest * k), lo: null, hi: null }));
    if (learnedPts.every((p) => p.valAPInterval)) {
      const random = seededRandom(7);
      const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const draws: number[][] = [[], []];
      for (let d = 0; d < PROJECTION_DRAWS; d++) {
        const yd = learnedPts.map((p) => p.valAP + gauss() * (hw(p)! / 1.96));
        const f = fitPowerLaw(learnedPts.map((p) => p.trainImages), yd)!;
        [2, 4].forEach((k, i) => draws[i].push(at(f, largest * k)));
      }
      projections = projections.map((p, i) => {
        const s = draws[i].sort((a, b) => a - b);
        return { ...p, lo: s[Math.floor(0.025 * (s.length - 1))], hi: s[Math.ceil(0.975 * (s.length - 1))] };
      });
    }
  } else {
    projections = [2, 4].map((k) => ({ trainImages: largest * k, valAP: predictLog(largest * k) }));
  }
  const imagesForTargetGain = slope > 0 && gainPerDoubling >= MIN_GAIN_PER_DOUBLING ? roundNice(largest * (Math.exp(TARGET_GAIN / slope) - 1)) : null;

  const p2 = projections[0];
  const p2Text = `${p2.trainImages} images → ~${pct(p2.valAP)}${p2.lo != null && p2.hi != null ? ` (95 % interval ${(p2.lo * 100).toFixed(1)}–${(p2.hi * 100).toFixed(1)} %)` : ''}`;
  const fitText = powerLaw ? ' (fit AP(n) = a − b·n^(−c) over the learned runs)' : ' (a rough guess from a log-linear slope over two sizes)';
  let message: string;
  if (stillRising) {
    message =
      `More labels would help: val AP is still rising with data (${curve}; about ${ptsText(gainPerDoubling)} per doubling${stepNoise !== null ? ', the last step beyond the intervals' : ''}). ` +
      `Expected at 2× the labels: ${p2Text}${fitText}` +
      (imagesForTargetGain !== null ? `; +${(TARGET_GAIN * 100).toFixed(1)} points would take roughly ${imagesForTargetGain} more images.` : '.');
  } else if (gainPerDoubling >= MIN_GAIN_PER_DOUBLING && !lastStepUp) {
    message = `Inconclusive (${curve}): AP rose overall but the last step ${stepNoise !== null ? 'is inside the noise of the two intervals' : 'did not go up'} — a bigger val split would tell; treat any extrapolation as noise.`;
  } else {
    message = `More images like these are unlikely to help much: val AP is flat with data (${curve}; ${ptsText(gainPerDoubling)} per doubling). Look at label quality, class balance, harder examples or a longer schedule instead.`;
  }
  if (r2 !== null && r2 < 0.5 && !powerLaw) message += ` (The fit is poor, R² ${r2.toFixed(2)}: a very rough guess.)`;
  const conclusive = stillRising || !(gainPerDoubling >= MIN_GAIN_PER_DOUBLING && !lastStepUp);
  return {
    stillRising: conclusive ? stillRising : null,
    inconclusive: conclusive ? null : 'the last step is inside the noise',
    gainPerDoubling,
    r2,
    powerLaw,
    projections,
    imagesForTargetGain,
    message,
  };
}
