// After (or during) training: is the data enough to train from scratch without overfitting?
// Reads the evaluation history the trainer emits and returns a verdict with the concrete numbers behind it.
// The paper ("Rethinking ImageNet Pre-training", §5 "less data") recognised overfitting by
//   (1) validation AP that peaks and then degrades with more training, and
//   (2) training loss falling as for a healthy model while validation AP stays far lower.
// Those are the two signals used here, plus validation loss rising while training loss falls when available.

import type { TrainerEvent } from '../protocol.ts';

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
}

export type Verdict = 'enough' | 'borderline' | 'too_small';

export interface ClassVerdictNote {
  key: string;
  name: string;
  valAP: number | null;
  trainAP: number | null;
  instances: number | null;
  note: string;
}

export interface OverfittingVerdict {
  verdict: Verdict;
  /** none: no held-out evaluation at all; low: fewer than MIN_EVALS_FOR_TREND evaluations; high otherwise. */
  confidence: 'none' | 'low' | 'high';
  evidence: string[];
  advice: string[];
  perClass: ClassVerdictNote[];
  bestIteration: number | null;
  bestValAP: number | null;
  signals: {
    /** Relative fall of the smoothed val AP from its smoothed peak to the end (0 when no fall). */
    decline: number | null;
    /** trainBoxAP − valBoxAP at the last evaluation that has both. */
    gap: number | null;
    trainLossFell: boolean | null;
    valLossRose: boolean | null;
    stillRising: boolean | null;
  };
}

export interface VerdictOptions {
  /** Training instances per class (same keys as perClassValAP), for "collect more of class K" advice. */
  classInstances?: Record<string, number>;
  /** Display names for per-class keys (e.g. category id → name). */
  classNames?: Record<string, string>;
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

// ---------------------------------------------------------------- helpers

const f2 = (x: number) => x.toFixed(2);
const pctSigned = (x: number) => `${x < 0 ? '−' : '+'}${Math.round(Math.abs(x) * 100)} %`;
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

export function overfittingVerdict(history: readonly EvalHistoryPoint[], options: VerdictOptions = {}): OverfittingVerdict {
  const points = [...history].sort((a, b) => a.iteration - b.iteration);
  const evidence: string[] = [];
  const advice: string[] = [];

  // which AP series: box if any, else mask
  const useBox = points.some((p) => isNum(p.valBoxAP));
  const apKey: 'valBoxAP' | 'valMaskAP' = useBox ? 'valBoxAP' : 'valMaskAP';
  const apName = useBox ? 'val box AP' : 'val mask AP';
  const evals = points.filter((p) => isNum(p[apKey]));
  const ap = evals.map((p) => p[apKey] as number);

  const result: OverfittingVerdict = {
    verdict: 'borderline',
    confidence: 'none',
    evidence,
    advice,
    perClass: [],
    bestIteration: null,
    bestValAP: null,
    signals: { decline: null, gap: null, trainLossFell: null, valLossRose: null, stillRising: null },
  };

  if (evals.length === 0) {
    evidence.push('No evaluation on a held-out split was recorded, so overfitting cannot be judged.');
    advice.push('Put 10–20 % of the labelled images in the val split and train again with periodic evaluation.');
    return result;
  }
  result.confidence = evals.length >= MIN_EVALS_FOR_TREND ? 'high' : 'low';

  // peak
  let bestIdx = 0;
  for (let i = 1; i < ap.length; i++) if (ap[i] > ap[bestIdx]) bestIdx = i;
  result.bestIteration = evals[bestIdx].iteration;
  result.bestValAP = ap[bestIdx];
  const last = ap[ap.length - 1];
  const lastIt = evals[evals.length - 1].iteration;

  // signal 1: peak then sustained decline. The peak is judged on a centred 3-point mean (so a single lucky
  // evaluation is not a peak) and the end on the mean of the last END_WINDOW evaluations.
  let declineLevel: 'none' | 'mild' | 'strong' = 'none';
  let trainLossFell: boolean | null = null;
  if (evals.length >= MIN_EVALS_FOR_TREND) {
    const sm = centredMeans(ap, SMOOTH_WINDOW);
    const n = ap.length;
    let smPeakIdx = 0;
    for (let i = 1; i < n; i++) if (sm[i] > sm[smPeakIdx]) smPeakIdx = i;
    const smPeak = sm[smPeakIdx];
    const endVals = ap.slice(-END_WINDOW);
    const smEnd = endVals.reduce((a, b) => a + b, 0) / endVals.length;
    const decline = smPeak > 0 ? Math.max(0, (smPeak - smEnd) / smPeak) : 0;
    result.signals.decline = decline;
    const sustained = smPeakIdx < n - END_WINDOW && endVals.every((v) => v < smPeak * (1 - DECLINE_BORDERLINE));
    const absFall = smPeak - smEnd;
    const lossAtPeak = lossNear(points, evals[bestIdx].iteration, 'trainLoss');
    const lossAtEnd = lossNear(points, lastIt, 'trainLoss');
    if (lossAtPeak !== null && lossAtEnd !== null && lossAtPeak > 0 && lastIt > evals[bestIdx].iteration) {
      trainLossFell = (lossAtPeak - lossAtEnd) / lossAtPeak >= TRAIN_LOSS_FALL_MIN;
    }
    result.signals.trainLossFell = trainLossFell;
    if (sustained && absFall >= DECLINE_MIN_ABS && decline >= DECLINE_TOO_SMALL) declineLevel = 'strong';
    else if (sustained && absFall >= DECLINE_MIN_ABS && decline >= DECLINE_BORDERLINE) declineLevel = 'mild';
    const stillRising = n > END_WINDOW && smEnd - Math.max(...sm.slice(0, n - END_WINDOW)) >= STILL_RISING_MIN;
    result.signals.stillRising = stillRising;

    if (declineLevel !== 'none') {
      const lossText =
        lossAtPeak !== null && lossAtEnd !== null
          ? trainLossFell
            ? ` while training loss kept falling from ${f2(lossAtPeak)} to ${f2(lossAtEnd)}`
            : ` while training loss went from ${f2(lossAtPeak)} to ${f2(lossAtEnd)} (not falling)`
          : '';
      evidence.push(
        `${apName} peaked at ${f2(ap[bestIdx])} at iteration ${evals[bestIdx].iteration} and fell to ${f2(last)} (${pctSigned((last - ap[bestIdx]) / (ap[bestIdx] || 1))}) by ${lastIt}${lossText}; smoothed over neighbouring evaluations the fall is ${Math.round(decline * 100)} %.`,
      );
      if (trainLossFell === false) {
        // a decline without falling training loss is not the overfitting signature
        declineLevel = 'mild';
        evidence.push('Training loss did not fall over the same span, so this looks more like an unstable schedule than overfitting.');
      }
    } else {
      const noisy = Math.max(...ap.slice(bestIdx)) - Math.min(...ap.slice(bestIdx));
      if (bestIdx < ap.length - 1 && decline < DECLINE_BORDERLINE) {
        evidence.push(`${apName} reached ${f2(ap[bestIdx])} at iteration ${evals[bestIdx].iteration} and stayed on a plateau (ends at ${f2(last)}, spread ${f2(noisy)}): no sustained decline.`);
      }
    }
    if (stillRising) evidence.push(`${apName} was still rising at the end (${f2(ap[0])} → ${f2(last)} over ${evals.length} evaluations).`);
  } else {
    evidence.push(`Only ${evals.length} evaluation${evals.length === 1 ? '' : 's'} (${apName} ${ap.map(f2).join(', ')}): too few to see a peak-then-decline curve.`);
  }

  // signal 2: train/val gap (last evaluation having both)
  let gapLevel: 'none' | 'mild' | 'strong' = 'none';
  const both = [...points].reverse().find((p) => isNum(p.trainBoxAP) && isNum(p.valBoxAP));
  if (both) {
    const gap = (both.trainBoxAP as number) - (both.valBoxAP as number);
    result.signals.gap = gap;
    const line = `train-sample box AP ${f2(both.trainBoxAP as number)} vs val box AP ${f2(both.valBoxAP as number)} at iteration ${both.iteration}: gap ${f2(gap)}`;
    if (gap >= GAP_TOO_SMALL) {
      gapLevel = 'strong';
      evidence.push(`${line} — the model fits its training images far better than new ones.`);
    } else if (gap >= GAP_BORDERLINE) {
      gapLevel = 'mild';
      evidence.push(`${line} — a moderate gap.`);
    } else {
      evidence.push(`${line} — small.`);
    }
  }

  // signal 3: val loss rising while train loss falls (weak)
  const vl = points.filter((p) => isNum(p.valLoss));
  if (vl.length >= MIN_EVALS_FOR_TREND) {
    let minI = 0;
    for (let i = 1; i < vl.length; i++) if ((vl[i].valLoss as number) < (vl[minI].valLoss as number)) minI = i;
    const vMin = vl[minI].valLoss as number;
    const vEnd = vl[vl.length - 1].valLoss as number;
    const tAtMin = lossNear(points, vl[minI].iteration, 'trainLoss');
    const tEnd = lossNear(points, vl[vl.length - 1].iteration, 'trainLoss');
    const rose = vMin > 0 && (vEnd - vMin) / vMin >= VAL_LOSS_RISE && tAtMin !== null && tEnd !== null && tEnd < tAtMin;
    result.signals.valLossRose = rose;
    if (rose) {
      evidence.push(`Validation loss rose from ${f2(vMin)} (iteration ${vl[minI].iteration}) to ${f2(vEnd)} while training loss fell from ${f2(tAtMin!)} to ${f2(tEnd!)}.`);
    }
  }

  // combine
  if (declineLevel === 'strong' || gapLevel === 'strong') result.verdict = 'too_small';
  else if (declineLevel === 'mild' || gapLevel === 'mild' || result.signals.valLossRose) result.verdict = 'borderline';
  else if (evals.length < MIN_EVALS_FOR_TREND && !both) result.verdict = 'borderline';
  else result.verdict = 'enough';

  // per class
  const valPC = [...points].reverse().find((p) => p.perClassValAP && Object.keys(p.perClassValAP).length > 0);
  if (valPC?.perClassValAP) {
    const trainPC = [...points].reverse().find((p) => p.perClassTrainAP && Object.keys(p.perClassTrainAP).length > 0)?.perClassTrainAP;
    const entries = Object.entries(valPC.perClassValAP).filter(([, v]) => isNum(v) && v >= 0);
    const mean = entries.reduce((s, [, v]) => s + v, 0) / Math.max(1, entries.length);
    for (const [key, v] of entries) {
      const name = options.classNames?.[key] ?? key;
      const t = trainPC && isNum(trainPC[key]) ? trainPC[key] : null;
      const n = options.classInstances && isNum(options.classInstances[key]) ? options.classInstances[key] : null;
      const parts: string[] = [];
      if (t !== null && t - v >= GAP_TOO_SMALL) parts.push(`train-sample AP ${f2(t)} vs val ${f2(v)} (gap ${f2(t - v)})`);
      if (entries.length > 1 && v < mean * WEAK_CLASS_FRACTION) parts.push(`val AP ${f2(v)} is under half the class average ${f2(mean)}`);
      if (parts.length === 0) continue;
      const more = n !== null ? ` — collect more images of ${name}: roughly +${Math.max(n, 50)} labelled instances (about double the current ${n}) is the next useful step` : ` — collect more images of ${name}`;
      result.perClass.push({ key, name, valAP: v, trainAP: t, instances: n, note: `${name}: ${parts.join('; ')}${more}.` });
    }
  }

  // advice
  const bestTxt = `iteration ${result.bestIteration} (${apName} ${f2(result.bestValAP!)})`;
  if (result.verdict === 'too_small') {
    // Seen on real runs (bench/report.ts, 24 images): val AP can still be rising at the end while the
    // train-sample gap is huge; then the best checkpoint is the last one and "not the last one" is wrong.
    if (result.bestIteration !== lastIt) advice.push(`Keep the best checkpoint, ${bestTxt}, not the last one.`);
    else advice.push(`The best checkpoint is the last one (${bestTxt}), but training images are fitted far better than new ones.`);
    if (declineLevel === 'strong') advice.push(`Shorten the schedule to about ${result.bestIteration} iterations; longer training only memorises the training images.`);
    advice.push('Add scale augmentation (random short side, e.g. 640–800 as in the paper\'s train-aug setting); it fights overfitting but needs a longer schedule.');
    advice.push('Collect and label more target images — more data is what closes the gap; the paper saw scratch training hold up only from ~25k–70k labelled objects.');
  } else if (result.verdict === 'borderline') {
    if (result.bestIteration !== null && result.bestIteration !== lastIt) advice.push(`Keep the best checkpoint, ${bestTxt}.`);
    advice.push('More labelled images would likely still help; scale augmentation is a cheap first step.');
    if (evals.length < MIN_EVALS_FOR_TREND) advice.push(`Evaluate more often (at least ${MIN_EVALS_FOR_TREND} evaluations) to see the shape of the validation curve.`);
  } else {
    advice.push('No sign of overfitting at this schedule: the data is enough for it.');
    if (result.signals.stillRising) advice.push('Validation AP was still rising: a longer schedule may pay off (from scratch needs roughly 3× the iterations of fine-tuning).');
  }
  for (const c of result.perClass) advice.push(c.note);
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
      } else if (e.split === 'train') {
        p.trainBoxAP = box;
        const pc = numRecord(e.perCategory);
        if (pc) p.perClassTrainAP = pc;
      }
    } else if (e.type === 'metric' && e.name === 'val/loss') {
      at(e.iteration).valLoss = e.value;
    }
  }
  return [...byIt.values()].sort((a, b) => a.iteration - b.iteration);
}
