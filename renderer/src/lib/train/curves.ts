// Plot series from a run's trainer events (the live view, before report.json exists) and the numbers
// the progress bar shows.
import type { TrainerEvent } from '../../../../electron/api.ts';

export type Series = [x: number, y: number][];

export interface RunCurves {
  trainLoss: Series;
  valBoxAP: Series;
  valMaskAP: Series;
  trainBoxAP: Series;
}

export function curvesFromEvents(events: readonly TrainerEvent[]): RunCurves {
  const curves: RunCurves = { trainLoss: [], valBoxAP: [], valMaskAP: [], trainBoxAP: [] };
  for (const e of events) {
    if (e.type === 'progress') {
      const total = e.losses.total ?? Object.values(e.losses).reduce((a, b) => a + b, 0);
      if (Number.isFinite(total)) curves.trainLoss.push([e.iteration, total]);
    } else if (e.type === 'evaluation') {
      if (e.split === 'val') {
        if (e.bbox.length > 0) curves.valBoxAP.push([e.iteration, e.bbox[0]]);
        if (e.segm.length > 0) curves.valMaskAP.push([e.iteration, e.segm[0]]);
      } else if (e.split === 'train' && e.bbox.length > 0) {
        curves.trainBoxAP.push([e.iteration, e.bbox[0]]);
      }
    }
  }
  return curves;
}

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
