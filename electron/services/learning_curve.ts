// Learning curves: the same preset trained on 25 / 50 / 100 % of the train split (stratified), each
// evaluated on the same val split, to see whether val AP still rises with data — whether more labels help.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../../trainer/io/atomic.ts';
import { join } from 'node:path';
import type { LearningCurveRecord, RunSummary, TrainOptions } from '../api.ts';
import { learningCurve } from '../../trainer/advice/learning_curve.ts';
import type { RunReport } from '../../trainer/advice/report.ts';
import { UserError } from './errors.ts';
import type { Project } from './project.ts';
import type { RunSupervisor } from './runs.ts';

export const DEFAULT_FRACTIONS = [0.25, 0.5, 1];

/** The run's report.json (verdict and best-AP interval), or null when it has none or it cannot be read. */
function readRunReport(runDir: string): Partial<RunReport> | null {
  try {
    return JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Partial<RunReport>;
  } catch {
    return null;
  }
}


function curvesDir(project: Project): string {
  const dir = project.resolveInside(join('runs', 'learning-curves'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

function save(project: Project, record: LearningCurveRecord): void {
  const file = join(curvesDir(project), `${record.id}.json`);
  writeJsonAtomic(file, record, 2);
}

export function listLearningCurves(project: Project): LearningCurveRecord[] {
  return readdirSync(curvesDir(project))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(curvesDir(project), f), 'utf8')) as LearningCurveRecord)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * Trains one run per fraction, one after the other (two trainings at once would only halve each one's
 * speed on a CPU), and fits the curve. `onUpdate` sees the record after every run.
 */
export async function runLearningCurve(
  project: Project,
  runs: RunSupervisor,
  options: TrainOptions & { fractions?: number[] },
  onUpdate: (record: LearningCurveRecord) => void = () => {},
): Promise<LearningCurveRecord> {
  const fractions = [...new Set(options.fractions ?? DEFAULT_FRACTIONS)].sort((a, b) => a - b);
  if (fractions.length < 2 || fractions.some((f) => !(f > 0 && f <= 1))) throw new UserError('A learning curve needs at least two fractions in (0, 1].');
  const record: LearningCurveRecord = {
    id: new Date().toISOString().replace(/[:.]/g, '-').replace('Z', ''),
    createdAt: new Date().toISOString(),
    preset: options.preset,
    fractions,
    status: 'running',
    points: [],
    result: null,
    error: null,
  };
  save(project, record);
  onUpdate(record);
  for (const fraction of fractions) {
    let summary: RunSummary;
    try {
      summary = await runs.whenFinished(runs.start({ ...options, trainFraction: fraction }).id);
    } catch (err) {
      record.status = 'failed';
      record.error = (err as Error).message;
      save(project, record);
      onUpdate(record);
      throw err;
    }
    const report = readRunReport(runs.runDir(summary.id));
    record.points.push({ fraction, runId: summary.id, trainImages: summary.trainImages, valAP: summary.bestBoxAp, maskAP: summary.bestMaskAp, status: summary.status, valAPInterval: report?.best?.boxAPInterval ?? null, verdict: report?.verdict?.verdict ?? null });
    save(project, record);
    onUpdate(record);
    if (summary.status !== 'done') {
      record.status = 'failed';
      record.error = `The run on ${Math.round(fraction * 100)} % of the data ended ${summary.status}${summary.error ? `: ${summary.error}` : ''}.`;
      save(project, record);
      onUpdate(record);
      return record;
    }
  }
  // A run counts as learned only with a verdict other than not_learned (no verdict: no evidence it learned).
  record.result = learningCurve(
    record.points
      .filter((p) => p.valAP !== null)
      .map((p) => ({ fraction: p.fraction, trainImages: p.trainImages, valAP: p.valAP!, valAPInterval: p.valAPInterval ?? null, learned: p.verdict != null && p.verdict !== 'not_learned' })),
  );
  record.status = 'done';
  save(project, record);
  onUpdate(record);
  return record;
}
