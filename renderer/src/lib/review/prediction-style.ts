// How the review shows one prediction: one kind per prediction, from its decision and its match, with the
// canvas style and the badge the list shows. A pre-label on an image without ground truth is 'unverified':
// neutral and dotted, never the red dashes of a false positive.
import type { ReviewPrediction } from '../../../../electron/api.ts';

export type PredictionKind = 'tp' | 'fp' | 'unverified' | 'accepted' | 'rejected';

export interface PredictionStyle {
  kind: PredictionKind;
  /** Stroke colour; null: the class colour. */
  color: string | null;
  /** Dash pattern in screen px ([] = solid). */
  dash: number[];
  /** Line width in screen px (unselected). */
  width: number;
  /** Short text for the list badge and the canvas label. */
  badge: string;
}

export const FP_COLOR = '#ff5c5c';
export const UNVERIFIED_COLOR = '#b9c3d0';
export const REJECTED_COLOR = '#7d838c';

const STYLES: Record<PredictionKind, PredictionStyle> = {
  tp: { kind: 'tp', color: null, dash: [], width: 2, badge: 'TP' },
  fp: { kind: 'fp', color: FP_COLOR, dash: [8, 5], width: 2, badge: 'FP' },
  unverified: { kind: 'unverified', color: UNVERIFIED_COLOR, dash: [2, 3], width: 2, badge: 'unverified' },
  accepted: { kind: 'accepted', color: null, dash: [], width: 3, badge: 'accepted' },
  rejected: { kind: 'rejected', color: REJECTED_COLOR, dash: [3, 6], width: 1.5, badge: 'rejected' },
};

export function predictionKind(p: Pick<ReviewPrediction, 'status' | 'match'>): PredictionKind {
  if (p.status === 'accepted') return 'accepted';
  if (p.status === 'rejected') return 'rejected';
  return p.match;
}

export function predictionStyle(p: Pick<ReviewPrediction, 'status' | 'match'>): PredictionStyle {
  return STYLES[predictionKind(p)];
}

/** The canvas label and hover text: class, score, and what the prediction is when not a plain TP. */
export function predictionCaption(p: Pick<ReviewPrediction, 'status' | 'match' | 'className' | 'score'>): string {
  const kind = predictionKind(p);
  const base = `${p.className} ${(p.score * 100).toFixed(0)}%`;
  return kind === 'tp' ? base : `${base} · ${STYLES[kind].badge}`;
}
