// The end of a run and what the app shows while it trains: the best model's predictions on val,
// the verdict so far as live events, and the final report.json (verdict included) written before the
// run's one terminal event. The trainer is the only writer of these files (the app records, never rewrites).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DoneEvent, EvaluationEvent, FailedEvent } from '../protocol.ts';
import { verdictEvent, writeRunReport, reportFromRunFolder } from '../advice/report.ts';
import { readCheckpoint, restoreCheckpoint } from '../checkpoint.ts';
import { predictRecords } from '../predict.ts';
import { finished } from './eval_hook.ts';
import { now, type RunRecord, type TrainContext } from './context.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import type { Hook } from './loop.ts';
import type { RunSchedule } from './schedule_hooks.ts';

/** Predictions of the best model on val, for review in the app (finished runs with a val split). */
export function valPredictions(ctx: TrainContext, s: RunSchedule, record: RunRecord): Hook {
  return {
    async afterTrain(loop) {
      if (!finished(loop, s) || !ctx.val.length) return;
      if (existsSync(ctx.paths.bestCheckpoint) && record.bestIteration !== loop.iteration) restoreCheckpoint(readCheckpoint(ctx.paths.bestCheckpoint), ctx.model.store);
      const r = await predictRecords(ctx.model, ctx.config, ctx.categories, ctx.val, ctx.cache, ctx.config.solver.imsPerBatch, undefined, ctx.pool);
      record.predictionsPath = join(ctx.paths.runDir, 'predictions.json');
      writeJsonAtomic(record.predictionsPath, r);
    },
  };
}

/** The verdict so far, as an event: when training starts and after each val evaluation. */
export function liveVerdicts(ctx: TrainContext, record: RunRecord): Hook {
  let shown: EvaluationEvent | null = null;
  const show = (iteration: number) => {
    try {
      ctx.emit(verdictEvent(reportFromRunFolder(ctx.paths.runDir), iteration, false));
    } catch (e) {
      ctx.log(`could not build the verdict so far: ${(e as Error)?.message ?? e}`);
    }
  };
  return {
    beforeTrain(loop) {
      show(loop.iteration);
    },
    afterStep(loop) {
      if (record.lastEval === shown) return;
      shown = record.lastEval;
      show(loop.iteration);
    },
  };
}

/**
 * report.json (the verdict with its evidence, from the run's own files and the terminal event about
 * to be sent), its verdict as the final verdict event, then the terminal event itself. The report
 * is best effort: a run whose report cannot be built still ends with its terminal event.
 */
export function endWithReport(ctx: Pick<TrainContext, 'emit' | 'log'> & { paths: { runDir: string } }, terminal: DoneEvent | FailedEvent): void {
  const failed = terminal.type === 'failed';
  try {
    const report = writeRunReport(ctx.paths.runDir, { failed, pending: [terminal] });
    ctx.log(`report.json: ${report.verdict.verdict} (${report.verdict.confidence} confidence)`);
    ctx.emit(verdictEvent(report, terminal.iteration ?? 0, true));
  } catch (e) {
    ctx.log(`could not write report.json: ${(e as Error)?.message ?? e}`);
  }
  ctx.emit(terminal);
}

/** The done event of a run that ended (completed, stopped early, or cancelled/paused), after its report. */
export function finalReport(ctx: TrainContext, s: RunSchedule, record: RunRecord): Hook {
  return {
    afterTrain(loop) {
      const complete = finished(loop, s);
      const final = record.lastEval;
      const done: DoneEvent = { type: 'done', time: now(), iteration: loop.iteration, bbox: final?.bbox ?? [], segm: final?.segm ?? [], predictionsPath: record.predictionsPath, reason: complete ? 'completed' : 'cancelled' };
      if (record.bestIteration >= 0) Object.assign(done, { bestIteration: record.bestIteration, bestBoxAp: record.bestBoxAp });
      if (loop.stopReason === 'early') done.stoppedEarly = true;
      ctx.log(`done (${done.reason}${done.stoppedEarly ? ', stopped early' : ''}) at iteration ${loop.iteration}`);
      endWithReport(ctx, done);
      record.done = done;
    },
  };
}
