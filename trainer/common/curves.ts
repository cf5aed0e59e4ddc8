// A run's plot series from its trainer events: the live charts build them from the events so far, the
// report (report.json) from metrics.jsonl, with the training loss averaged over windows so a plot of
// thousands of iterations stays readable. Structural event types, so this file imports nothing.

/** [iteration, value] pairs. */
export type Series = [x: number, y: number][];

export interface RunCurves {
  trainLoss: Series;
  valBoxAP: Series;
  valMaskAP: Series;
  trainBoxAP: Series;
  /** The trainer's `val/loss` metric. */
  valLoss: Series;
}

/** The fields of TrainerProtocol's events the curves read (trainer/protocol.ts has the full ones). */
interface ProgressFields { type: 'progress'; iteration: number; losses: Readonly<Record<string, unknown>> }
interface EvaluationFields { type: 'evaluation'; iteration: number; split: string; bbox: readonly unknown[]; segm: readonly unknown[] }
interface MetricFields { type: 'metric'; iteration: number; name: string; value: unknown }

export interface CurveOptions {
  /**
   * Average the training loss over equal windows of consecutive progress events so that at most this
   * many points remain, each at its window's last iteration (the report: 200). Unset: every point.
   */
  maxLossPoints?: number;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * One progress event's total loss: its `total`, else the sum of its terms; null when that is not a
 * finite number (a diverged step, whose NaN JSON wrote as null), so no made-up point is plotted.
 */
export function totalLoss(losses: Readonly<Record<string, unknown>>): number | null {
  if (isNum(losses.total)) return losses.total;
  if (losses.total !== undefined) return null;
  const terms = Object.values(losses);
  return terms.length > 0 && terms.every(isNum) ? terms.reduce((a, b) => a + b, 0) : null;
}

function windowed(points: Series, maxPoints: number): Series {
  const window = Math.max(1, Math.ceil(points.length / maxPoints));
  if (window === 1) return points;
  const out: Series = [];
  for (let i = 0; i < points.length; i += window) {
    const chunk = points.slice(i, i + window);
    out.push([chunk[chunk.length - 1][0], chunk.reduce((a, p) => a + p[1], 0) / chunk.length]);
  }
  return out;
}

/** The curves of `events` in their order; AP points are COCO's first stat (AP@[.5:.95]) where it is a number. */
export function curvesFromEvents(events: readonly { type: string }[], options: CurveOptions = {}): RunCurves {
  const curves: RunCurves = { trainLoss: [], valBoxAP: [], valMaskAP: [], trainBoxAP: [], valLoss: [] };
  for (const e of events) {
    if (e.type === 'progress') {
      const p = e as ProgressFields;
      const total = totalLoss(p.losses);
      if (total !== null) curves.trainLoss.push([p.iteration, total]);
    } else if (e.type === 'evaluation') {
      const ev = e as EvaluationFields;
      if (ev.split === 'val') {
        if (isNum(ev.bbox[0])) curves.valBoxAP.push([ev.iteration, ev.bbox[0]]);
        if (isNum(ev.segm[0])) curves.valMaskAP.push([ev.iteration, ev.segm[0]]);
      } else if (ev.split === 'train' && isNum(ev.bbox[0])) {
        curves.trainBoxAP.push([ev.iteration, ev.bbox[0]]);
      }
    } else if (e.type === 'metric') {
      const m = e as MetricFields;
      if (m.name === 'val/loss' && isNum(m.value)) curves.valLoss.push([m.iteration, m.value]);
    }
  }
  if (options.maxLossPoints !== undefined) curves.trainLoss = windowed(curves.trainLoss, options.maxLossPoints);
  return curves;
}
