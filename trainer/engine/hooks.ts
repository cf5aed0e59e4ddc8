// The small hooks of a run (Detectron2's engine/hooks.py has their cousins: IterationTimer,
// PeriodicWriter, PeriodicCheckpointer): progress events with speed and ETA, cancel, checkpoints.
import type { Hook } from './loop.ts';
import { now, type TrainContext } from './context.ts';
import type { RunSchedule } from './schedule_hooks.ts';

/**
 * A progress event every 10 iterations (and on the first and last): images/s over the last minute of
 * steps (at least five), and the ETA from it. A log line every 50.
 */
export function progressReporter(ctx: TrainContext, s: RunSchedule): Hook {
  let started = 0, startIt = 0;
  let window: { t: number; it: number }[] = [];
  return {
    beforeTrain(loop) {
      started = Date.now();
      startIt = loop.iteration;
    },
    afterStep(loop) {
      const { iteration, lr, losses } = loop;
      const ims = ctx.config.solver.imsPerBatch;
      const t = Date.now();
      window.push({ t, it: iteration });
      window = window.filter((w) => t - w.t < 60_000 || window.length <= 5);
      const first = window[0];
      const ips = window.length > 1 ? ((iteration - first.it) * ims * 1000) / Math.max(1, t - first.t) : (ims * (iteration - startIt) * 1000) / Math.max(1, t - started);
      if (iteration % 10 === 0 || iteration === loop.stopAt || iteration === startIt + 1) {
        const eta = ips > 0 ? ((s.total - iteration) * ims) / ips : 0;
        ctx.emit({ type: 'progress', time: now(), iteration, totalIterations: s.total, epoch: (iteration * ims) / ctx.train.length, imagesPerSecond: ips, etaSeconds: eta, lr, losses });
        if (iteration % 50 === 0 || iteration === loop.stopAt) ctx.log(`it ${iteration}/${s.total} lr ${lr.toExponential(2)} ${Object.entries(losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ')}`);
      }
    },
  };
}

/** Aborting the signal ends the loop after the current step (before its checkpoint or evaluation). */
export function cancelOnAbort(signal: AbortSignal | undefined): Hook {
  return {
    afterStep(loop) {
      if (signal?.aborted) loop.stopReason = 'cancelled';
    },
  };
}

/** checkpoints/last every solver.checkpointEveryIterations (not at the schedule's end), and always when the loop ends. */
export function periodicCheckpointer(ctx: TrainContext, s: RunSchedule): Hook {
  return {
    async afterStep(loop) {
      const every = ctx.config.solver.checkpointEveryIterations;
      if (every > 0 && loop.iteration % every === 0 && loop.iteration < s.total) await ctx.checkpoint('last', loop.iteration);
    },
    async afterTrain(loop) {
      await ctx.checkpoint('last', loop.iteration);
    },
  };
}
