// The report a run screen shows. The app's trainer writes only a short report.json (no verdict), and a
// running run has none, so the verdict, curves and per-class table are built here from the run's events
// with the trainer's own pure advice functions; a full RunReport on disk is used as is.
import type { DatasetCheck, RunDetail, TrainerEvent } from '../../../../electron/api.ts';
import type { RunReport } from '../../../../trainer/advice/report.ts';
import { historyFromEvents, overfittingVerdict, perCategoryAp } from '../../../../trainer/advice/overfitting.ts';
import { curvesFromEvents } from './curves.ts';
import { reconcileWithDatasetCheck } from '../../../../trainer/advice/verdict_context.ts';

export interface ReportView {
  report: Pick<RunReport, 'verdict' | 'curves' | 'perClass'> & { dataset: DatasetCheck | null };
  /** 'file': report.json from the run; 'events': built here from metrics events. */
  source: 'file' | 'events';
}

function isFullReport(r: Record<string, unknown> | null): r is Record<string, unknown> & RunReport {
  return !!r && typeof r.verdict === 'object' && r.verdict !== null && typeof r.curves === 'object';
}

type Evaluation = Extract<TrainerEvent, { type: 'evaluation' }>;

/** `check` stands in for the snapshot's dataset check (class names and training instances). */
export function reportView(detail: RunDetail, events: readonly TrainerEvent[], check: DatasetCheck | null): ReportView {
  if (isFullReport(detail.report)) return { report: detail.report, source: 'file' };
  const classNames: Record<string, string> = {};
  const classInstances: Record<string, number> = {};
  for (const c of check?.perClass ?? []) {
    classNames[String(c.categoryId)] = c.name;
    classInstances[String(c.categoryId)] = c.perSplit.train || c.instances;
  }
  const verdict = overfittingVerdict(historyFromEvents(events), {
    classInstances,
    classNames,
    failed: detail.status === 'failed' || events.some((e) => e.type === 'failed'),
    valImages: detail.valImages,
    preset: detail.preset,
  });
  if (check) reconcileWithDatasetCheck(verdict, check);
  const curves = curvesFromEvents(events);
  const lastWithClasses = (split: 'val' | 'train') =>
    [...events].reverse().find((e): e is Evaluation => e.type === 'evaluation' && e.split === split && !!e.perCategory);
  const lastVal = lastWithClasses('val');
  const lastTrain = lastWithClasses('train');
  const perClass = (check?.perClass ?? []).map((c) => ({
    name: c.name,
    instances: classInstances[String(c.categoryId)] ?? c.instances,
    valAP: perCategoryAp(lastVal?.perCategory?.[String(c.categoryId)]),
    trainAP: perCategoryAp(lastTrain?.perCategory?.[String(c.categoryId)]),
    note: verdict.perClass.find((n) => n.key === String(c.categoryId))?.note ?? c.note ?? '',
  }));
  return { report: { verdict, curves: { ...curves, valLoss: [] }, perClass, dataset: check }, source: 'events' };
}
