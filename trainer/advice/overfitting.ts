// After (or during) training: is the data enough to train from scratch without overfitting?
// Reads the evaluation history the trainer emits and returns a verdict with the concrete numbers behind it.
// The paper ("Rethinking ImageNet Pre-training", §5 "less data") recognised overfitting by
//   (1) validation AP that peaks and then degrades with more training, and
//   (2) training loss falling as for a healthy model while validation AP stays far lower.
// Those are the two signals used here, plus validation loss rising while training loss falls when available.
// Both halves matter: a model that has not fit its own training images says nothing about whether the data
// is enough, so "enough" and "too small" are only given once the train-sample AP shows the model learned
// (`not_learned` otherwise). Every AP compared here carries a bootstrap interval over the evaluated images
// (trainer/eval/bootstrap.ts); a gap, a decline, a rise or a weak class counts only beyond that noise.

import type { TrainerEvent } from '../protocol.ts';
import { apPct, apWithInterval, type ClassVerdictNote, type OverfittingVerdict, type Verdict } from '../common/verdict.ts';

export { apPct, apWithInterval, type ClassVerdictNote, type OverfittingVerdict, type Verdict };

export interface EvalHistoryPoint {
  iteration: number;
  /** Mean training loss around this evaluation (total of the loss terms). */
  trainLoss?: number | null;
  valLoss?: number | null;
  /** COCO AP@[.50:.95] on the val split, 0..1. */
  valBoxAP?: number | null;
  valMaskAP?: number | null;
  /** Box AP on a sample of training images (same evaluator), 0..1. */
  trainBoxAP?: number | null;
  /** Per-class val box AP keyed by class name (or id as a string). */
  perClassValAP?: Record<string, number>;
  perClassTrainAP?: Record<string, number>;
  /** 95 % bootstrap intervals [lo, hi] (0..1) of the APs above, when the trainer measured them. */
  valBoxCI?: [number, number] | null;
  valMaskCI?: [number, number] | null;
  trainBoxCI?: [number, number] | null;
  perClassValCI?: Record<string, [number, number]>;
  /** Images and non-crowd instances the val evaluation ran on. */
  valImages?: number | null;
  valInstances?: number | null;
}

export interface VerdictOptions {
  /** Training instances per class (same keys as perClassValAP), for "collect more of class K" advice. */
  classInstances?: Record<string, number>;
  /** Display names for per-class keys (e.g. category id → name). */
  classNames?: Record<string, string>;
  /** The run failed: no verdict, whatever was evaluated before. */
  failed?: boolean;
  /** Images in the run's val split (to tell "not evaluated yet" from "no val split"). */
  valImages?: number;
  /** For the not-learned advice: the schedule and the objects' size at the training scale. */
  totalIterations?: number | null;
  preset?: string | null;
  trainShortSide?: number | null;
  /** Median object size (√area) in pixels at the training scale, and the share under 32 px. */
  objectPxAtTrainScale?: { median: number; smallShare: number } | null;
}

// ---------------------------------------------------------------- thresholds (heuristics, explained)

/** Evaluations needed before a peak-then-decline shape means anything; with fewer we only use the gap. */
export const MIN_EVALS_FOR_TREND = 3;
/** The peak is the best centred mean over this many neighbouring evaluations: on the small val sets our
 * users have, one evaluation moves by ±0.01–0.03 AP from noise alone, so a single lucky evaluation must not
 * count as a peak (a 3-point mean cuts the noise by ~√3). */
export const SMOOTH_WINDOW = 3;
/** The end of the curve is the mean of the last this-many evaluations, and each of them must sit below the
 * smoothed peak by the borderline margin: one dip is noise, two in a row at the end is a trend. */
export const END_WINDOW = 2;
/** Smoothed val AP ending ≥ 10 % below its smoothed peak, while training loss keeps falling, is the paper's
 * overfitting curve (1k-image COCO: loss like the full-data model, val AP far lower and degrading). */
export const DECLINE_TOO_SMALL = 0.1;
/** 4–10 % below the peak: could be the start of overfitting or noise — borderline. */
export const DECLINE_BORDERLINE = 0.04;
/** Relative falls on tiny APs are meaningless (0.02 → 0.017 is −15 % but one detection): also require this
 * absolute fall in AP. */
export const DECLINE_MIN_ABS = 0.015;
/** Training loss must fall by at least 5 % from the val peak to the end for a val decline to read as
 * overfitting; if it did not fall, the decline is more likely a learning-rate / stability problem. */
export const TRAIN_LOSS_FALL_MIN = 0.05;
/** Train-sample AP this far (absolute) above val AP means the model memorises its training images. On
 * healthy COCO-scale training the gap is a few points; 0.25 is far beyond what augmentation noise explains. */
export const GAP_TOO_SMALL = 0.25;
/** A gap of 0.10–0.25 is the usual zone of "more data would help" — borderline. */
export const GAP_BORDERLINE = 0.1;
/** Val loss ≥ 10 % above its minimum at the end while training loss fell: classic overfitting sign (weak alone). */
export const VAL_LOSS_RISE = 0.1;
/** Final smoothed val AP above the smoothed peak before it by this much: still improving → train longer. */
export const STILL_RISING_MIN = 0.01;
/** A class whose val AP is below this fraction of the mean over classes gets a "weak class" note. */
export const WEAK_CLASS_FRACTION = 0.5;
/**
 * The not-learned floor: train-sample box AP (AP@[.5:.95]) under 5 % means the model has not fit the images
 * it trains on. Why this floor: the paper reads overfitting as training fit *like the healthy model's* with
 * val AP far below; a model that scores under 5 % on its own training images localises almost nothing even
 * at IoU 0.5, so its val AP is low because it has not learned, not because the data is small, and a gap
 * between two near-zero numbers is noise. Every model that learned in our synthetic and real-data runs
 * cleared it by far on its training sample (memorising a small set is easy once learning starts), so the
 * floor separates "not started" from "fits but may not generalise" without judging how good a model is.
 */
export const NOT_LEARNED_TRAIN_AP = 0.05;
/**
 * What an untrained (randomly initialised) model scores: its few high-scoring boxes are anchors with noise,
 * which almost never reach IoU 0.5 with an object, so its AP@[.5:.95] is ~0. A train-sample AP whose
 * interval reaches down to this is "not clearly above an untrained model", whatever its point value.
 */
export const UNTRAINED_AP = 0.002;

// ---------------------------------------------------------------- helpers

const f2 = (x: number) => x.toFixed(2);
/** An AP difference in percentage points; "−0.0" is printed as "0.0". */
const pts = (x: number) => {
  const t = (Math.abs(x) * 100).toFixed(1);
  return `${x < 0 && t !== '0.0' ? '−' : ''}${t} points`;
};
const pctSigned = (x: number) => `${x < 0 ? '−' : '+'}${Math.round(Math.abs(x) * 100)} %`;
const halfWidth = (ci?: readonly [number, number] | null) => (ci && isNum(ci[0]) && isNum(ci[1]) ? (ci[1] - ci[0]) / 2 : null);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Mean over a centred window (truncated at the ends). */
function centredMeans(xs: number[], window: number): number[] {
  const half = Math.floor(window / 2);
  return xs.map((_, i) => {
    const part = xs.slice(Math.max(0, i - half), Math.min(xs.length, i + half + 1));
    return part.reduce((a, b) => a + b, 0) / part.length;
  });
}

/** Loss at (or nearest before) an iteration. */
function lossNear(points: EvalHistoryPoint[], iteration: number, key: 'trainLoss' | 'valLoss'): number | null {
  let best: number | null = null;
  for (const p of points) if (p.iteration <= iteration && isNum(p[key])) best = p[key] as number;
  return best;
}

// ---------------------------------------------------------------- verdict

type Level = 'none' | 'mild' | 'strong';

/** The AP series a verdict judges (box AP where any was measured, else mask AP), its peak and its end. */
interface ApSeries {
  name: string;
  /** The evaluations that carry the AP, by iteration; ap[i] and ci[i] are theirs. */
  evals: EvalHistoryPoint[];
  ap: number[];
  ci: (readonly [number, number] | null)[];
  n: number;
  bestIdx: number;
  last: number;
  lastCI: readonly [number, number] | null;
  lastIt: number;
}

function apSeries(points: EvalHistoryPoint[]): ApSeries | null {
  const useBox = points.some((p) => isNum(p.valBoxAP));
  const apKey: 'valBoxAP' | 'valMaskAP' = useBox ? 'valBoxAP' : 'valMaskAP';
  const ciKey: 'valBoxCI' | 'valMaskCI' = useBox ? 'valBoxCI' : 'valMaskCI';
  const evals = points.filter((p) => isNum(p[apKey]));
  if (evals.length === 0) return null;
  const ap = evals.map((p) => p[apKey] as number);
  const ci = evals.map((p) => p[ciKey] ?? null);
  let bestIdx = 0;
  for (let i = 1; i < ap.length; i++) if (ap[i] > ap[bestIdx]) bestIdx = i;
  const n = ap.length;
  return { name: useBox ? 'val box AP' : 'val mask AP', evals, ap, ci, n, bestIdx, last: ap[n - 1], lastCI: ci[n - 1], lastIt: evals[n - 1].iteration };
}

/** Why there is no verdict: the run failed, or nothing was evaluated on a held-out split (yet). */
function noVerdictReason(options: VerdictOptions): { evidence: string; advice: string } {
  if (options.failed) return { evidence: 'The run failed, so there is no verdict; the evaluations it recorded before failing are shown as they are.', advice: 'Fix the cause in the run log and train again.' };
  if (options.valImages && options.valImages > 0) {
    return {
      evidence: `No evaluation was recorded yet (the val split holds ${options.valImages} image${options.valImages === 1 ? '' : 's'}), so there is no verdict.`,
      advice: 'Let the run reach its first evaluation, or resume it, before judging the data.',
    };
  }
  return {
    evidence: 'No evaluation on a held-out split was recorded, so overfitting cannot be judged.',
    advice: 'Put 10–20 % of the labelled images in the val split and train again with periodic evaluation.',
  };
}

/** Fit before judging: has the model fit its own training images (the last train-sample AP; val AP where none was measured)? */
function fitCheck(points: EvalHistoryPoint[], s: ApSeries): { learned: boolean; trainAP: number | null; evidence: string[] } {
  const lastTrain = [...points].reverse().find((p) => isNum(p.trainBoxAP));
  if (lastTrain) {
    const t = lastTrain.trainBoxAP as number;
    const tCI = lastTrain.trainBoxCI ?? null;
    const learned = t >= NOT_LEARNED_TRAIN_AP && (tCI ? tCI[0] > UNTRAINED_AP : t > UNTRAINED_AP);
    const evidence = learned
      ? []
      : [
          `The model has not fit its own training images: train-sample box AP ${apWithInterval(t, tCI)} at iteration ${lastTrain.iteration} is ${t < NOT_LEARNED_TRAIN_AP ? `under the ${apPct(NOT_LEARNED_TRAIN_AP)} floor` : 'not clearly above an untrained model'}, so its ${s.name} of ${apWithInterval(s.last, s.lastCI)} says nothing yet about whether the data is enough.`,
        ];
    return { learned, trainAP: t, evidence };
  }
  // Without a train sample, val AP stands in: a val AP whose interval stays under the floor cannot show learning.
  const learned = (s.lastCI ? s.lastCI[1] : s.last) >= NOT_LEARNED_TRAIN_AP;
  const evidence = learned ? [] : [`No train-sample AP was measured and ${s.name} is ${apWithInterval(s.last, s.lastCI)}, under the ${apPct(NOT_LEARNED_TRAIN_AP)} floor: the model shows no sign of having learned yet.`];
  return { learned, trainAP: null, evidence };
}

/**
 * Signal 1: peak then sustained decline. The peak is judged on a centred 3-point mean (so a single lucky
 * evaluation is not a peak) and the end on the mean of the last END_WINDOW evaluations; the fall counts
 * only when the smoothed peak lies above the last evaluation's bootstrap interval. A fall while training
 * loss did not fall is demoted to mild (an unstable schedule rather than overfitting).
 */
function declineSignal(points: EvalHistoryPoint[], s: ApSeries): { level: Level; decline: number | null; trainLossFell: boolean | null; evidence: string[] } {
  const { ap, n, bestIdx, last, lastCI, lastIt, evals, name } = s;
  if (n < MIN_EVALS_FOR_TREND) {
    return { level: 'none', decline: null, trainLossFell: null, evidence: [`Only ${n} evaluation${n === 1 ? '' : 's'} (${name} ${ap.map(apPct).join(', ')}): too few to see a peak-then-decline curve.`] };
  }
  const evidence: string[] = [];
  const sm = centredMeans(ap, SMOOTH_WINDOW);
  let smPeakIdx = 0;
  for (let i = 1; i < n; i++) if (sm[i] > sm[smPeakIdx]) smPeakIdx = i;
  const smPeak = sm[smPeakIdx];
  const endVals = ap.slice(-END_WINDOW);
  const smEnd = endVals.reduce((a, b) => a + b, 0) / endVals.length;
  const decline = smPeak > 0 ? Math.max(0, (smPeak - smEnd) / smPeak) : 0;
  const sustained = smPeakIdx < n - END_WINDOW && endVals.every((v) => v < smPeak * (1 - DECLINE_BORDERLINE));
  const absFall = smPeak - smEnd;
  const beyondNoise = lastCI ? smPeak > lastCI[1] : absFall >= DECLINE_MIN_ABS;
  const bestIt = evals[bestIdx].iteration;
  const lossAtPeak = lossNear(points, bestIt, 'trainLoss');
  const lossAtEnd = lossNear(points, lastIt, 'trainLoss');
  let trainLossFell: boolean | null = null;
  if (lossAtPeak !== null && lossAtEnd !== null && lossAtPeak > 0 && lastIt > bestIt) {
    trainLossFell = (lossAtPeak - lossAtEnd) / lossAtPeak >= TRAIN_LOSS_FALL_MIN;
  }
  let level: Level = 'none';
  if (sustained && absFall >= DECLINE_MIN_ABS && decline >= DECLINE_TOO_SMALL && beyondNoise) level = 'strong';
  else if (sustained && absFall >= DECLINE_MIN_ABS && decline >= DECLINE_BORDERLINE && beyondNoise) level = 'mild';

  if (level !== 'none') {
    const lossText =
      lossAtPeak !== null && lossAtEnd !== null
        ? trainLossFell
          ? ` while training loss kept falling from ${f2(lossAtPeak)} to ${f2(lossAtEnd)}`
          : ` while training loss went from ${f2(lossAtPeak)} to ${f2(lossAtEnd)} (not falling)`
        : '';
    evidence.push(
      `${name} peaked at ${apPct(ap[bestIdx])} at iteration ${bestIt} and fell to ${apWithInterval(last, lastCI)} (${pctSigned((last - ap[bestIdx]) / (ap[bestIdx] || 1))}) by ${lastIt}${lossText}; smoothed over neighbouring evaluations the fall is ${Math.round(decline * 100)} %${lastCI ? ', beyond the interval' : ''}.`,
    );
    if (trainLossFell === false) {
      level = 'mild';
      evidence.push('Training loss did not fall over the same span, so this looks more like an unstable schedule than overfitting.');
    }
  } else if (sustained && absFall >= DECLINE_MIN_ABS && decline >= DECLINE_BORDERLINE && !beyondNoise) {
    evidence.push(`${name} fell from a smoothed peak of ${apPct(smPeak)} to ${apWithInterval(last, lastCI)} at the end, inside the last evaluation's interval: not counted as a decline.`);
  } else if (bestIdx < n - 1 && decline < DECLINE_BORDERLINE) {
    const spread = Math.max(...ap.slice(bestIdx)) - Math.min(...ap.slice(bestIdx));
    evidence.push(`${name} reached ${apPct(ap[bestIdx])} at iteration ${bestIt} and stayed on a plateau (ends at ${apWithInterval(last, lastCI)}, spread ${pts(spread)}): no sustained decline.`);
  }
  return { level, decline, trainLossFell, evidence };
}

/** Still rising: the last val AP's interval lies above everything before the end window. */
function riseSignal(s: ApSeries): { stillRising: boolean | null; evidence: string[] } {
  const { ap, n, last, lastCI, name } = s;
  if (n < 2) return { stillRising: null, evidence: [] };
  const before = ap.slice(0, n > END_WINDOW ? n - END_WINDOW : n - 1);
  const prior = Math.max(...before);
  // Without intervals (older runs) the end is the mean of the last END_WINDOW evaluations against the
  // smoothed curve before them, as a rough stand-in for the noise.
  const sm = centredMeans(ap, SMOOTH_WINDOW);
  const endMean = ap.slice(-END_WINDOW).reduce((a, b) => a + b, 0) / Math.min(END_WINDOW, n);
  const rising = lastCI ? lastCI[0] > prior : n > END_WINDOW && endMean - Math.max(...sm.slice(0, n - END_WINDOW)) >= STILL_RISING_MIN;
  const evidence = rising ? [`${name} was still rising at the end (${apPct(ap[0])} → ${apWithInterval(last, lastCI)} over ${n} evaluations; the earlier best ${apPct(prior)} lies ${lastCI ? 'below the interval' : 'clearly below'}).`] : [];
  return { stillRising: rising, evidence };
}

/** Signal 2: the train/val gap at the last evaluation having both; counts beyond the two intervals combined. */
function gapSignal(points: EvalHistoryPoint[]): { level: Level; gap: number | null; measured: boolean; evidence: string[] } {
  const both = [...points].reverse().find((p) => isNum(p.trainBoxAP) && isNum(p.valBoxAP));
  if (!both) return { level: 'none', gap: null, measured: false, evidence: [] };
  const t = both.trainBoxAP as number;
  const v = both.valBoxAP as number;
  const gap = t - v;
  const hT = halfWidth(both.trainBoxCI);
  const hV = halfWidth(both.valBoxCI);
  const noise = hT !== null && hV !== null ? Math.sqrt(hT * hT + hV * hV) : null;
  const clear = noise === null || gap > noise;
  const line = `train-sample box AP ${apWithInterval(t, both.trainBoxCI)} vs val box AP ${apWithInterval(v, both.valBoxCI)} at iteration ${both.iteration}: gap ${pts(gap)}${noise !== null ? ` (noise ±${pts(noise)})` : ''}`;
  let level: Level = 'none';
  let tail: string;
  if (gap >= GAP_TOO_SMALL && clear) {
    level = 'strong';
    tail = ' — the model fits its training images far better than new ones.';
  } else if (gap >= GAP_BORDERLINE && clear) {
    level = 'mild';
    tail = ' — a moderate gap.';
  } else if (gap >= GAP_BORDERLINE) {
    tail = ' — inside the noise of the two intervals, not counted.';
  } else {
    tail = ' — small.';
  }
  return { level, gap, measured: true, evidence: [`${line}${tail}`] };
}

/** Signal 3 (weak): validation loss rising while training loss falls. */
function valLossSignal(points: EvalHistoryPoint[]): { rose: boolean | null; evidence: string[] } {
  const vl = points.filter((p) => isNum(p.valLoss));
  if (vl.length < MIN_EVALS_FOR_TREND) return { rose: null, evidence: [] };
  let minI = 0;
  for (let i = 1; i < vl.length; i++) if ((vl[i].valLoss as number) < (vl[minI].valLoss as number)) minI = i;
  const vMin = vl[minI].valLoss as number;
  const vEnd = vl[vl.length - 1].valLoss as number;
  const tAtMin = lossNear(points, vl[minI].iteration, 'trainLoss');
  const tEnd = lossNear(points, vl[vl.length - 1].iteration, 'trainLoss');
  const rose = vMin > 0 && (vEnd - vMin) / vMin >= VAL_LOSS_RISE && tAtMin !== null && tEnd !== null && tEnd < tAtMin;
  const evidence = rose ? [`Validation loss rose from ${f2(vMin)} (iteration ${vl[minI].iteration}) to ${f2(vEnd)} while training loss fell from ${f2(tAtMin!)} to ${f2(tEnd!)}.`] : [];
  return { rose, evidence };
}

/** Combines the signals: fit first, then overfitting beyond noise, then "still improving", then the milder signs. */
function decideVerdict(learned: boolean, decline: Level, gap: Level, stillRising: boolean | null, valLossRose: boolean | null, fewEvaluations: boolean, gapMeasured: boolean): Verdict {
  if (!learned) return 'not_learned';
  if (decline === 'strong' || gap === 'strong') return 'too_small';
  if (stillRising) return 'still_learning';
  if (decline === 'mild' || gap === 'mild' || valLossRose) return 'borderline';
  if (fewEvaluations && !gapMeasured) return 'borderline';
  return 'enough';
}

/** What the verdict rests on: the val images and instances, and the width of the last interval. */
function basisNote(basis: OverfittingVerdict['basis'], lastCI: readonly [number, number] | null): string[] {
  const { valImages, valInstances } = basis;
  if (valImages === null) return [];
  const width = lastCI ? ` (its 95 % interval is ${pts(lastCI[1] - lastCI[0])} wide)` : '';
  return [`This rests on ${valImages} val image${valImages === 1 ? '' : 's'}${valInstances !== null ? ` with ${valInstances} labelled instance${valInstances === 1 ? '' : 's'}` : ''}${width}; a bigger val split would narrow the interval.`];
}

/**
 * Weak classes, from the last per-class val AP: a class whose train/val gap is large, or whose val AP
 * lies under half the class average. Only asked of a model that learned (a weak class of a model that
 * fits nothing is noise).
 */
function weakClasses(points: EvalHistoryPoint[], options: VerdictOptions): ClassVerdictNote[] {
  const valPC = [...points].reverse().find((p) => p.perClassValAP && Object.keys(p.perClassValAP).length > 0);
  if (!valPC?.perClassValAP) return [];
  const notes: ClassVerdictNote[] = [];
  const trainPC = [...points].reverse().find((p) => p.perClassTrainAP && Object.keys(p.perClassTrainAP).length > 0)?.perClassTrainAP;
  const entries = Object.entries(valPC.perClassValAP).filter(([, v]) => isNum(v) && v >= 0);
  const mean = entries.reduce((s, [, v]) => s + v, 0) / Math.max(1, entries.length);
  for (const [key, v] of entries) {
    const name = options.classNames?.[key] ?? key;
    const vCI = valPC.perClassValCI?.[key] ?? null;
    const vHi = vCI ? vCI[1] : v;
    const t = trainPC && isNum(trainPC[key]) ? trainPC[key] : null;
    const count = options.classInstances && isNum(options.classInstances[key]) ? options.classInstances[key] : null;
    const parts: string[] = [];
    if (t !== null && t - v >= GAP_TOO_SMALL && t > vHi) parts.push(`train-sample AP ${apPct(t)} vs val ${apWithInterval(v, vCI)} (gap ${pts(t - v)})`);
    if (entries.length > 1 && mean >= NOT_LEARNED_TRAIN_AP && vHi < mean * WEAK_CLASS_FRACTION) parts.push(`val AP ${apWithInterval(v, vCI)} is under half the class average ${apPct(mean)}`);
    if (parts.length === 0) continue;
    const more = count !== null ? ` — collect more images of ${name}: roughly +${Math.max(count, 50)} labelled instances (about double the current ${count}) is the next useful step` : ` — collect more images of ${name}`;
    notes.push({ key, name, valAP: v, trainAP: t, instances: count, note: `${name}: ${parts.join('; ')}${more}.` });
  }
  return notes;
}

/** What to do next, for the verdict reached; the weak classes' notes come last. */
function verdictAdvice(r: OverfittingVerdict, s: ApSeries, decline: Level, options: VerdictOptions): string[] {
  const advice: string[] = [];
  const { lastIt, n } = s;
  const bestTxt = `iteration ${r.bestIteration} (${s.name} ${apPct(r.bestValAP!)})`;
  if (r.verdict === 'not_learned') {
    const total = options.totalIterations ?? lastIt;
    advice.push(`Train longer first: about 3× the schedule (${total} → ${3 * total} iterations). Models trained from scratch need roughly 3× the iterations of a fine-tuned one before they catch up (He, Girshick & Dollár).`);
    const px = options.objectPxAtTrainScale;
    if (px && (px.median < 32 || px.smallShare >= 0.5)) {
      advice.push(`Use a larger input scale: at the training scale${options.trainShortSide ? ` (short side ${options.trainShortSide} px)` : ''} the objects are about ${Math.round(px.median)} px across (median), ${Math.round(px.smallShare * 100)} % of them under 32 px — hard to detect, and slow to learn, at that size.`);
    }
    advice.push(`Try a bigger preset${options.preset ? ` than ${options.preset}` : ''}: a model too small for the task may never fit it.`);
    advice.push('Train on a GPU if you have one (WebGPU in the app, or export the run to Detectron2/torchvision): the longer schedule is then hours, not days.');
  } else if (r.verdict === 'too_small') {
    // Seen on real runs (bench/report.ts, 24 images): val AP can still be rising at the end while the
    // train-sample gap is huge; then the best checkpoint is the last one and "not the last one" is wrong.
    if (r.bestIteration !== lastIt) advice.push(`Keep the best checkpoint, ${bestTxt}, not the last one.`);
    else advice.push(`The best checkpoint is the last one (${bestTxt}), but training images are fitted far better than new ones.`);
    if (decline === 'strong') advice.push(`Shorten the schedule to about ${r.bestIteration} iterations; longer training only memorises the training images.`);
    advice.push('Add scale augmentation (random short side, e.g. 640–800 as in the paper\'s train-aug setting); it fights overfitting but needs a longer schedule.');
    advice.push('Collect and label more target images — more data is what closes the gap; the paper saw scratch training hold up only from ~25k–70k labelled objects.');
  } else if (r.verdict === 'still_learning') {
    advice.push(`Val AP was still rising beyond its noise at the end: train longer (about 2–3× the current ${options.totalIterations ?? lastIt} iterations) before judging whether the data is enough.`);
  } else if (r.verdict === 'borderline') {
    if (r.bestIteration !== null && r.bestIteration !== lastIt) advice.push(`Keep the best checkpoint, ${bestTxt}.`);
    advice.push('More labelled images would likely still help; scale augmentation is a cheap first step.');
    if (n < MIN_EVALS_FOR_TREND) advice.push(`Evaluate more often (at least ${MIN_EVALS_FOR_TREND} evaluations) to see the shape of the validation curve.`);
  } else {
    advice.push('No sign of overfitting at this schedule beyond the noise of the val split: the data is enough for it.');
  }
  for (const c of r.perClass) advice.push(c.note);
  return advice;
}

/**
 * The verdict on a run's evaluation history: fit check → peak-then-decline → still rising → train/val
 * gap → val loss → verdict, then what it rests on, the weak classes and the advice.
 */
export function overfittingVerdict(history: readonly EvalHistoryPoint[], options: VerdictOptions = {}): OverfittingVerdict {
  const points = [...history].sort((a, b) => a.iteration - b.iteration);
  const result: OverfittingVerdict = {
    verdict: null,
    confidence: 'none',
    evidence: [],
    advice: [],
    perClass: [],
    bestIteration: null,
    bestValAP: null,
    finalValAP: null,
    basis: { valImages: null, valInstances: null },
    signals: { decline: null, gap: null, trainLossFell: null, valLossRose: null, stillRising: null, trainAP: null, learned: null },
  };
  const s = apSeries(points);
  if (options.failed || !s) {
    const why = noVerdictReason(options);
    result.evidence.push(why.evidence);
    result.advice.push(why.advice);
    return result;
  }
  result.confidence = s.n >= MIN_EVALS_FOR_TREND ? 'high' : 'low';
  result.bestIteration = s.evals[s.bestIdx].iteration;
  result.bestValAP = s.ap[s.bestIdx];
  result.finalValAP = { ap: s.last, lo: s.lastCI?.[0] ?? null, hi: s.lastCI?.[1] ?? null };
  const lastPoint = s.evals[s.n - 1];
  result.basis = { valImages: lastPoint.valImages ?? options.valImages ?? null, valInstances: lastPoint.valInstances ?? null };

  const fit = fitCheck(points, s);
  const decline = declineSignal(points, s);
  const rise = riseSignal(s);
  const gap = gapSignal(points);
  const valLoss = valLossSignal(points);
  result.signals = { decline: decline.decline, gap: gap.gap, trainLossFell: decline.trainLossFell, valLossRose: valLoss.rose, stillRising: rise.stillRising, trainAP: fit.trainAP, learned: fit.learned };
  result.verdict = decideVerdict(fit.learned, decline.level, gap.level, rise.stillRising, valLoss.rose, s.n < MIN_EVALS_FOR_TREND, gap.measured);
  result.evidence.push(...fit.evidence, ...decline.evidence, ...rise.evidence, ...gap.evidence, ...valLoss.evidence, ...basisNote(result.basis, s.lastCI));
  if (fit.learned) result.perClass = weakClasses(points, options);
  result.advice.push(...verdictAdvice(result, s, decline.level, options));
  return result;
}

// ---------------------------------------------------------------- from trainer events

/**
 * Build the history from the trainer's event stream: val/train evaluation events (AP = stats[0]) merged by
 * iteration; train loss = mean `total` loss (or the sum of terms) of the progress events since the previous
 * evaluation; val loss from a metric named 'val/loss'; per-class AP from `perCategory` when numeric.
 */
/**
 * The box AP in one `perCategory` entry of an evaluation event: the trainer writes `{ name, ap, ap50, numGt }`;
 * a bare number is accepted too. null for a category without ground truth (AP −1) or no value.
 */
export function perCategoryAp(entry: unknown): number | null {
  const ap = typeof entry === 'number' ? entry : isNum((entry as { ap?: unknown } | null)?.ap) ? (entry as { ap: number }).ap : null;
  return ap !== null && isNum(ap) && ap >= 0 ? ap : null;
}

/** Per-category [lo, hi] from the trainer's perCategory entries ({ ap, lo, hi }), when present. */
function intervalRecord(r: Record<string, unknown> | undefined): Record<string, [number, number]> | undefined {
  if (!r) return undefined;
  const out: Record<string, [number, number]> = {};
  for (const [k, v] of Object.entries(r)) {
    const e = v as { lo?: unknown; hi?: unknown } | null;
    if (e && isNum(e.lo) && isNum(e.hi)) out[k] = [e.lo, e.hi];
  }
  return Object.keys(out).length ? out : undefined;
}

export function historyFromEvents(events: readonly TrainerEvent[]): EvalHistoryPoint[] {
  const byIt = new Map<number, EvalHistoryPoint>();
  const at = (it: number) => {
    let p = byIt.get(it);
    if (!p) byIt.set(it, (p = { iteration: it }));
    return p;
  };
  let lossSum = 0;
  let lossN = 0;
  let lastLoss: number | null = null;
  const numRecord = (r: Record<string, unknown> | undefined) => {
    if (!r) return undefined;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(r)) {
      const ap = perCategoryAp(v);
      if (ap !== null) out[k] = ap;
    }
    return Object.keys(out).length ? out : undefined;
  };
  for (const e of events) {
    if (e.type === 'progress') {
      const total = isNum(e.losses.total) ? e.losses.total : Object.values(e.losses).filter(isNum).reduce((a, b) => a + b, 0);
      lossSum += total;
      lossN++;
    } else if (e.type === 'evaluation') {
      const p = at(e.iteration);
      if (lossN > 0) {
        lastLoss = lossSum / lossN;
        lossSum = 0;
        lossN = 0;
      }
      if (lastLoss !== null && p.trainLoss == null) p.trainLoss = lastLoss;
      const box = e.bbox.length ? e.bbox[0] : null;
      const mask = e.segm.length ? e.segm[0] : null;
      if (e.split === 'val') {
        p.valBoxAP = box;
        p.valMaskAP = mask;
        const pc = numRecord(e.perCategory);
        if (pc) p.perClassValAP = pc;
        if (e.interval) {
          p.valBoxCI = e.interval.bbox;
          p.valMaskCI = e.interval.segm;
          p.valInstances = e.interval.instances;
        }
        if (isNum(e.images)) p.valImages = e.images;
        const pcCI = intervalRecord(e.perCategory);
        if (pcCI) p.perClassValCI = pcCI;
      } else if (e.split === 'train') {
        p.trainBoxAP = box;
        if (e.interval) p.trainBoxCI = e.interval.bbox;
        const pc = numRecord(e.perCategory);
        if (pc) p.perClassTrainAP = pc;
      }
    } else if (e.type === 'metric' && e.name === 'val/loss') {
      at(e.iteration).valLoss = e.value;
    }
  }
  return [...byIt.values()].sort((a, b) => a.iteration - b.iteration);
}
