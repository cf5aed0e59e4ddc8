// What `fieldwork train` / `learning-curve` print about AP and the verdict: AP as a percentage with one
// decimal (Detectron2's convention, the app's one unit), the verdict with the interval it rests on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LearningCurvePointRecord, TrainerEvent } from '../api.ts';
import type { RunReport } from '../../trainer/advice/report.ts';
import { apWithInterval } from '../../trainer/advice/overfitting.ts';
import { verdictLine, verdictWords } from '../../trainer/common/verdict_text.ts';
import { plural } from '../../trainer/common/plural.ts';

export const fmtAp = (v: number | null | undefined): string => (v === undefined || v === null || v < 0 ? '—' : `${(v * 100).toFixed(1)} %`);

export function evaluationLine(e: Extract<TrainerEvent, { type: 'evaluation' }>): string {
  const box = e.bbox[0] !== undefined && e.bbox[0] >= 0 ? apWithInterval(e.bbox[0], e.interval?.bbox) : '—';
  return `  ${e.split} @${e.iteration}: box AP ${box} (AP50 ${fmtAp(e.bbox[1])}), mask AP ${fmtAp(e.segm[0])} (AP50 ${fmtAp(e.segm[1])})`;
}

/** The verdict line, then its evidence and advice, from the run's report.json; one line saying why when there is none. */
export function reportVerdictLines(runDir: string): string[] {
  let report: RunReport;
  try {
    report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as RunReport;
  } catch (err) {
    return [`verdict: none (no report.json in ${runDir}: ${(err as Error).message})`];
  }
  const v = report.verdict;
  return [verdictLine(v), ...v.evidence.map((e) => `  evidence: ${e}`), ...v.advice.map((a) => `  advice: ${a}`)];
}

export function learningCurvePointLine(p: LearningCurvePointRecord): string {
  const ap = p.valAP === null ? '—' : apWithInterval(p.valAP, p.valAPInterval ?? null);
  return `${Math.round(p.fraction * 100)} % of train (${plural(p.trainImages, 'image')}): best val box AP ${ap}; verdict ${p.verdict ?? 'none'} (${verdictWords(p.verdict as Parameters<typeof verdictWords>[0])}) [${p.status}]`;
}
