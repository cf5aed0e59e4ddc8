// report.json: the after-training verdict with its evidence, written into the run folder from the run's
// own files (snapshot.json + metrics.jsonl), so any run folder can be reported on, anywhere.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CocoDataset } from '../common/coco.ts';
import type { TrainerEvent, VerdictEvent } from '../protocol.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { readRunEvents } from '../io/jsonl.ts';
import { datasetCheck, type DatasetCheck } from './dataset_check.ts';
import { historyFromEvents, overfittingVerdict, perCategoryAp, type OverfittingVerdict } from './overfitting.ts';
import { objectPxAtScale, reconcileWithDatasetCheck } from './verdict_context.ts';
import type { ClassApRow } from '../common/verdict.ts';
import { curvesFromEvents, type RunCurves } from '../common/curves.ts';

export interface RunReport {
  version: 1;
  createdAt: string;
  /** 'completed' | 'cancelled' | 'failed' | 'running' (a report written mid-run) */
  state: string;
  backend: string | null;
  iterations: { done: number; total: number | null };
  dataset: DatasetCheck;
  verdict: OverfittingVerdict;
  /** Last val evaluation, COCO stats (12 numbers each; empty without a val split). */
  final: { iteration: number | null; bbox: number[]; segm: number[] };
  /** Best val box AP and where it was reached. */
  best: { iteration: number | null; boxAP: number | null; maskAP: number | null; boxAPInterval?: [number, number] | null };
  /**
   * Whether the run ended early because val box AP stopped improving (solver.earlyStopPatience), at
   * which iteration, and the size of the fixed train sample behind the train-sample AP (null if none).
   */
  earlyStop: { stopped: boolean; atIteration: number | null; bestIteration: number | null };
  trainSampleImages: number | null;
  /** Series for the report's plots: [iteration, value] pairs, the training loss averaged over windows. */
  curves: RunCurves;
  /** Per-class val AP at the last evaluation, by class name. */
  perClass: ClassApRow[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** At most this many training-loss points in a report, so a plot of thousands of iterations stays readable. */
const REPORT_LOSS_POINTS = 200;

/** What the report knows of the run's config (config.resolved.json), for the not-learned advice. */
export interface ReportRunConfig {
  preset?: string;
  input?: { trainShortSides?: number[] };
  solver?: { maxIter?: number };
}

/** `failedOutside`: the supervisor saw the trainer die without writing its own `failed` event (a crash). */
export function buildRunReport(snapshot: CocoDataset, events: readonly TrainerEvent[], config: ReportRunConfig | null = null, failedOutside = false): RunReport {
  const dataset = datasetCheck(snapshot);
  const names = Object.fromEntries(snapshot.categories.map((c) => [String(c.id), c.name]));
  const classInstances: Record<string, number> = {};
  for (const c of dataset.perClass) classInstances[String(c.categoryId)] = dataset.basis === 'train' ? c.perSplit.train : c.instances;
  const history = historyFromEvents(events);
  const started = [...events].reverse().find((e) => e.type === 'started');
  const done = [...events].reverse().find((e) => e.type === 'done');
  const failed = failedOutside || events.some((e) => e.type === 'failed');
  const lastProgress = [...events].reverse().find((e) => e.type === 'progress');
  const trainShortSide = config?.input?.trainShortSides?.length ? Math.max(...config.input.trainShortSides) : null;
  const verdict = overfittingVerdict(history, {
    classInstances,
    classNames: names,
    failed,
    valImages: dataset.splits.val?.images ?? 0,
    totalIterations: lastProgress?.totalIterations ?? started?.totalIterations ?? config?.solver?.maxIter ?? null,
    preset: config?.preset ?? null,
    trainShortSide,
    objectPxAtTrainScale: trainShortSide ? objectPxAtScale(snapshot, trainShortSide) : null,
  });
  reconcileWithDatasetCheck(verdict, dataset);

  const valEvals = events.filter((e): e is Extract<TrainerEvent, { type: 'evaluation' }> => e.type === 'evaluation' && e.split === 'val');
  const lastVal = valEvals.at(-1);
  let best: RunReport['best'] = { iteration: null, boxAP: null, maskAP: null };
  for (const e of valEvals) {
    if (isNum(e.bbox[0]) && (best.boxAP === null || e.bbox[0] > best.boxAP)) best = { iteration: e.iteration, boxAP: e.bbox[0], maskAP: isNum(e.segm[0]) ? e.segm[0] : null, boxAPInterval: e.interval?.bbox ?? null };
  }

  // Every class, with its AP at the last evaluation and the verdict's note where it has one.
  const lastOf = (split: 'val' | 'train') => [...events].reverse().find((e): e is Extract<TrainerEvent, { type: 'evaluation' }> => e.type === 'evaluation' && e.split === split && !!e.perCategory);
  const apOf = (e: Extract<TrainerEvent, { type: 'evaluation' }> | undefined, id: number) => perCategoryAp(e?.perCategory?.[String(id)]);
  const perClass = dataset.perClass.map((c) => ({
    name: c.name,
    instances: classInstances[String(c.categoryId)] ?? c.instances,
    valAP: apOf(lastOf('val'), c.categoryId),
    trainAP: apOf(lastOf('train'), c.categoryId),
    note: verdict.perClass.find((n) => n.key === String(c.categoryId))?.note ?? c.note ?? '',
  }));
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    state: failed ? 'failed' : done ? done.reason : 'running',
    backend: started?.backend ?? null,
    iterations: { done: done?.iteration ?? lastProgress?.iteration ?? 0, total: lastProgress?.totalIterations ?? started?.totalIterations ?? null },
    dataset,
    verdict,
    final: { iteration: lastVal?.iteration ?? null, bbox: lastVal?.bbox ?? [], segm: lastVal?.segm ?? [] },
    best,
    earlyStop: {
      stopped: done?.stoppedEarly === true,
      atIteration: done?.stoppedEarly ? done.iteration : null,
      bestIteration: done?.stoppedEarly ? (done.bestIteration ?? best.iteration) : null,
    },
    trainSampleImages: [...events].reverse().find((e): e is Extract<TrainerEvent, { type: 'evaluation' }> => e.type === 'evaluation' && e.split === 'train')?.images ?? null,
    curves: curvesFromEvents(events, { maxLossPoints: REPORT_LOSS_POINTS }),
    perClass,
  };
}

/**
 * The report of a run folder from its own files (snapshot.json, metrics.jsonl, config.resolved.json).
 * `pending`: events the trainer is about to write (its done or failed), so the report it writes
 * before them already knows how the run ended.
 */
export function reportFromRunFolder(runDir: string, options: { failed?: boolean; pending?: readonly TrainerEvent[] } = {}): RunReport {
  const snapshot = JSON.parse(readFileSync(join(runDir, 'snapshot.json'), 'utf8')) as CocoDataset;
  const events = readRunEvents(runDir);
  events.push(...(options.pending ?? []));
  const configFile = join(runDir, 'config.resolved.json');
  let config: ReportRunConfig | null = null;
  try {
    config = existsSync(configFile) ? (JSON.parse(readFileSync(configFile, 'utf8')) as ReportRunConfig) : null;
  } catch {
    config = null; // the advice then leaves out what it needs the config for
  }
  return buildRunReport(snapshot, events, config, options.failed === true);
}

/**
 * Writes report.json atomically from the run folder (see reportFromRunFolder) and returns the report.
 * Its one writer is the process that trained the run (the trainer, or an import of a run trained
 * elsewhere); the app only reads it.
 */
export function writeRunReport(runDir: string, options: { failed?: boolean; pending?: readonly TrainerEvent[] } = {}): RunReport {
  const report = reportFromRunFolder(runDir, options);
  const out = join(runDir, 'report.json');
  writeJsonAtomic(out, report, 2);
  return report;
}

/** The live event that carries a report's verdict and per-class table. */
export function verdictEvent(report: RunReport, iteration: number, final: boolean): VerdictEvent {
  return { type: 'verdict', time: new Date().toISOString(), iteration, verdict: report.verdict, perClass: report.perClass, final };
}
