// The verdict's schema and its AP wording: what report.json, the live verdict events, the CLI and the app's
// report screen share. The verdict itself is built in trainer/advice/overfitting.ts.

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * not_learned: inconclusive — the model has not fit its training images yet; still_learning: val AP still
 * rising beyond its noise at the end — train longer before judging; the other three judge the data.
 */
export type Verdict = 'not_learned' | 'still_learning' | 'too_small' | 'borderline' | 'enough';

export interface ClassVerdictNote {
  key: string;
  name: string;
  valAP: number | null;
  trainAP: number | null;
  instances: number | null;
  note: string;
}

export interface OverfittingVerdict {
  /** null: no verdict — the run failed, or no held-out evaluation was recorded. */
  verdict: Verdict | null;
  /** none: no held-out evaluation at all; low: fewer than MIN_EVALS_FOR_TREND evaluations; high otherwise. */
  confidence: 'none' | 'low' | 'high';
  evidence: string[];
  advice: string[];
  perClass: ClassVerdictNote[];
  bestIteration: number | null;
  bestValAP: number | null;
  /** The last val AP the verdict rests on, with its interval (0..1), and what the interval rests on. */
  finalValAP: { ap: number; lo: number | null; hi: number | null } | null;
  basis: { valImages: number | null; valInstances: number | null };
  /** Set by the report: how the verdict squares with the pre-training dataset check, when they disagree. */
  reconciliation?: string | null;
  signals: {
    /** Relative fall of the smoothed val AP from its smoothed peak to the end (0 when no fall). */
    decline: number | null;
    /** trainBoxAP − valBoxAP at the last evaluation that has both. */
    gap: number | null;
    trainLossFell: boolean | null;
    valLossRose: boolean | null;
    stillRising: boolean | null;
    /** Last train-sample box AP and whether it clears the not-learned floor. */
    trainAP: number | null;
    learned: boolean | null;
  };
}

/** AP (0..1) as Detectron2 prints it: a percentage with one decimal. The one unit of every AP sentence. */
export const apPct = (x: number): string => `${(x * 100).toFixed(1)} %`;
/** "12.3 % (95 % interval 8.1–16.0 %)", or just the AP without an interval. */
export const apWithInterval = (x: number, ci?: readonly [number, number] | null): string =>
  ci && isNum(ci[0]) && isNum(ci[1]) ? `${apPct(x)} (95 % interval ${(ci[0] * 100).toFixed(1)}–${(ci[1] * 100).toFixed(1)} %)` : apPct(x);

/** One class's row of the report's per-class table: val and train-sample AP at the last evaluation. */
export interface ClassApRow {
  name: string;
  instances: number;
  valAP: number | null;
  trainAP: number | null;
  note: string;
}
