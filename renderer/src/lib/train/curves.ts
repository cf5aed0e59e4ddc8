// Plot series from a run's trainer events (the live view, before report.json exists) and the numbers
// the progress bar shows.
// The live charts plot every point of the events so far (the report, which the trainer builds with the
// same function, averages the loss over windows).
export { curvesFromEvents, type RunCurves, type Series } from '../../../../trainer/common/curves.ts';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** AP in [0, 1] (or COCO's -1 for "no data") as a percentage with one decimal, the app's one AP unit. */
export function formatAp(ap: number | null | undefined): string {
  return ap === null || ap === undefined || ap < 0 ? '—' : `${(ap * 100).toFixed(1)} %`;
}

export { VERDICT_WORDS, verdictWords, verdictApLine } from '../../../../trainer/common/verdict_text.ts';
