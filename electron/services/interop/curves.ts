// The training curve an external trainer logged, as Fieldwork's own events, so an imported run's report and
// curves show how it trained: torchvision's train.py writes output/metrics.jsonl (one line per iteration);
// Detectron2 writes output/metrics.json (JSON lines every 20 iterations: total_loss, loss_*, lr, and at each
// EVAL_PERIOD its COCOEvaluator's "bbox/AP", "bbox/AP50", … in percent).
import { join } from 'node:path';
import type { CocoStats, TrainerEvent } from '../../../trainer/protocol.ts';
import { readJsonLines } from '../../../trainer/io/jsonl.ts';

const AP_KEYS = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl'];


const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Detectron2's percent APs for `kind` ('bbox' | 'segm') as our 12-number stats (AR unknown: −1), or null. */
function detectron2Stats(line: Record<string, unknown>, kind: string): CocoStats | null {
  if (!num(line[`${kind}/AP`])) return null;
  return [...AP_KEYS.map((k) => (num(line[`${kind}/${k}`]) ? (line[`${kind}/${k}`] as number) / 100 : -1)), -1, -1, -1, -1, -1, -1];
}

export interface ExternalCurve {
  events: TrainerEvent[];
  /** Iterations the external run completed (0 when it logged nothing). */
  iterations: number;
}

/** Progress (and, for Detectron2, evaluation) events from the export's output/ folder. */
export function externalCurve(exportDir: string, engine: 'detectron2' | 'torchvision', trainImages: number, imagesPerIteration: number, time: string): ExternalCurve {
  const events: TrainerEvent[] = [];
  let iterations = 0;
  const epoch = (it: number) => (trainImages > 0 ? (it * imagesPerIteration) / trainImages : 0);
  if (engine === 'torchvision') {
    for (const l of readJsonLines(join(exportDir, 'output', 'metrics.jsonl'))) {
      if (!num(l.iteration) || !num(l.loss)) continue;
      const losses: Record<string, number> = { total: l.loss };
      for (const [k, v] of Object.entries(l)) if (k.startsWith('loss_') && num(v)) losses[k] = v;
      events.push({ type: 'progress', time, iteration: l.iteration, totalIterations: num(l.totalIterations) ? l.totalIterations : l.iteration, epoch: epoch(l.iteration), imagesPerSecond: 0, etaSeconds: 0, lr: num(l.lr) ? l.lr : 0, losses });
      iterations = Math.max(iterations, l.iteration);
    }
  } else {
    const lines = readJsonLines(join(exportDir, 'output', 'metrics.json'));
    for (const l of lines) {
      if (!num(l.iteration)) continue;
      const it = l.iteration + 1; // Detectron2 logs the 0-based index of the iteration just run
      iterations = Math.max(iterations, it);
      if (num(l.total_loss)) {
        const losses: Record<string, number> = { total: l.total_loss };
        for (const [k, v] of Object.entries(l)) if (k.startsWith('loss_') && num(v)) losses[k] = v;
        events.push({ type: 'progress', time, iteration: it, totalIterations: it, epoch: epoch(it), imagesPerSecond: 0, etaSeconds: 0, lr: num(l.lr) ? l.lr : 0, losses });
      }
      const bbox = detectron2Stats(l, 'bbox');
      if (bbox) events.push({ type: 'evaluation', time, split: 'val', iteration: it, bbox, segm: detectron2Stats(l, 'segm') ?? [] });
    }
    for (const e of events) if (e.type === 'progress') e.totalIterations = iterations;
  }
  return { events, iterations };
}
