// Evaluation rounds (Detectron2's EvalHook + BestCheckpointer, and early stop): at the schedule's
// evaluation iterations and once at the end of a finished run — the train sample's AP, val loss and
// val AP — keeping checkpoints/best at the best val box AP and stopping when it has not improved
// for solver.earlyStopPatience rounds.
import { readJsonLines } from '../io/jsonl.ts';
import type { EvaluationEvent, TrainerEvent } from '../protocol.ts';
import { evaluateRecords, evaluateSplit, heldOutLosses } from './evaluation.ts';
import { now, type RunRecord, type TrainContext } from './context.ts';
import type { Hook, LoopState } from './loop.ts';
import type { RunSchedule } from './schedule_hooks.ts';

/** Whether the loop ended because the run is over (its schedule, or an early stop), not cancelled or paused. */
export function finished(loop: LoopState, s: RunSchedule): boolean {
  return (loop.iteration >= s.total || loop.stopReason === 'early') && loop.stopReason !== 'cancelled';
}

export function evalHook(ctx: TrainContext, s: RunSchedule, record: RunRecord, o: { resuming: boolean; shouldStop?: (e: EvaluationEvent, history: EvaluationEvent[]) => boolean }): Hook {
  const patience = ctx.config.solver.earlyStopPatience;
  let sinceBest = 0;
  const metric = (name: string, value: number, iteration: number) => ctx.emit({ type: 'metric', time: now(), name, value, iteration });

  /** One evaluation round at `iteration`. Returns true to stop early. */
  const round = async (iteration: number): Promise<boolean> => {
    const { model, config: c, snap, cache, pool, val, trainSample } = ctx;
    record.lastRoundAt = iteration;
    if (trainSample.length) {
      const r = await evaluateRecords(model, c, snap, trainSample, ctx.trainSampleGt, cache, pool);
      ctx.emit({ type: 'evaluation', time: now(), split: 'train', iteration, bbox: r.bbox, segm: r.segm, perCategory: r.perCategory, images: trainSample.length, interval: r.interval });
      metric('train/bbox/AP', r.bbox[0], iteration);
      metric('train/segm/AP', r.segm[0], iteration);
      ctx.log(`train-sample eval @${iteration} (${trainSample.length} images): box AP ${r.bbox[0].toFixed(3)}; mask AP ${r.segm[0].toFixed(3)}`);
    }
    if (!val.length) return false;
    const vl = await heldOutLosses(model, c, val, cache);
    metric('val/loss', vl.total, iteration);
    const r = await evaluateSplit(model, c, snap, 'val', cache, pool);
    const ev: EvaluationEvent = { type: 'evaluation', time: now(), split: 'val', iteration, bbox: r.bbox, segm: r.segm, perCategory: r.perCategory, images: val.length, interval: r.interval };
    ctx.emit(ev);
    record.lastEval = ev;
    record.history.push(ev);
    for (const [name, v] of [['val/bbox/AP', r.bbox[0]], ['val/bbox/AP50', r.bbox[1]], ['val/segm/AP', r.segm[0]], ['val/segm/AP50', r.segm[1]]] as const) metric(name, v, iteration);
    ctx.log(`eval @${iteration}: box AP ${r.bbox[0].toFixed(3)} AP50 ${r.bbox[1].toFixed(3)}; mask AP ${r.segm[0].toFixed(3)} AP50 ${r.segm[1].toFixed(3)}; val loss ${vl.total.toFixed(3)}`);
    if (r.bbox[0] > record.bestBoxAp) {
      record.bestBoxAp = r.bbox[0];
      record.bestIteration = iteration;
      sinceBest = 0;
      await ctx.checkpoint('best', iteration);
    } else {
      sinceBest++;
    }
    if (patience > 0 && sinceBest >= patience) {
      ctx.log(`early stop @${iteration}: no better val box AP in ${sinceBest} evaluations (best ${record.bestBoxAp.toFixed(3)} @${record.bestIteration})`);
      return true;
    }
    return o.shouldStop?.(ev, record.history) ?? false;
  };

  return {
    beforeTrain(loop) {
      // After a resume, recount the rounds since the last new best from the run's own event log.
      sinceBest = o.resuming ? valEvalsSinceBest(ctx.paths.metrics, record.bestIteration, loop.iteration) : 0;
    },
    async afterStep(loop) {
      if (s.evalAt.has(loop.iteration) && loop.iteration < s.total && (await round(loop.iteration))) loop.stopReason = 'early';
    },
    async afterTrain(loop) {
      // A finished run ends on an evaluation of its final weights (unless the last round was at this iteration).
      if (finished(loop, s) && (!record.lastEval || record.lastEval.iteration !== loop.iteration)) await round(loop.iteration);
    },
  };
}

/** Val evaluations logged in metrics.jsonl after `bestIteration` and up to `iteration` (for early stop on resume). */
function valEvalsSinceBest(metricsPath: string, bestIteration: number, iteration: number): number {
  const its = new Set<number>();
  for (const e of readJsonLines<TrainerEvent>(metricsPath)) {
    if (e.type === 'evaluation' && e.split === 'val' && e.iteration > bestIteration && e.iteration <= iteration) its.add(e.iteration);
  }
  return its.size;
}
