// The report a run screen shows, as the trainer sent it: report.json once the run has ended (the
// trainer writes it, verdict included), and while it trains the last verdict event with the curves
// of the events so far. Nothing here judges a run: a run that has neither (it crashed before its
// first verdict, or an app older than verdict events trained it) shows none.
import type { DatasetCheck, RunDetail, RunReport, TrainerEvent } from '../../../../electron/api.ts';
import { curvesFromEvents } from './curves.ts';

export interface ReportView {
  report: Pick<RunReport, 'verdict' | 'curves' | 'perClass'> & { dataset: DatasetCheck | null };
  /** 'file': report.json from the run; 'events': the trainer's last verdict event, curves from the events. */
  source: 'file' | 'events';
}

function isFullReport(r: Record<string, unknown> | null): r is Record<string, unknown> & RunReport {
  return !!r && typeof r.verdict === 'object' && r.verdict !== null && typeof r.curves === 'object';
}

type VerdictEvent = Extract<TrainerEvent, { type: 'verdict' }>;

/**
 * `check` (the project's dataset check now) stands in for the snapshot's while the run has no
 * report.json. Null when the trainer has sent no verdict for this run.
 */
export function reportView(detail: RunDetail, events: readonly TrainerEvent[], check: DatasetCheck | null): ReportView | null {
  const last = [...events].reverse().find((e): e is VerdictEvent => e.type === 'verdict');
  // A resumed run still has the report.json of its earlier session: while it trains, its live verdict is newer.
  const live = detail.status === 'running' && last !== undefined && !last.final;
  if (isFullReport(detail.report) && !live) return { report: detail.report, source: 'file' };
  if (!last) return null;
  const curves = curvesFromEvents(events);
  return { report: { verdict: last.verdict, curves, perClass: last.perClass, dataset: check }, source: 'events' };
}
