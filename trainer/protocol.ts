// TrainerProtocol: the run configuration and the events the trainer streams (stdout with --json,
// metrics.jsonl in the run folder, or the onEvent callback of train()). Types only, no runtime code
// beyond the type guard, so the app can import it with `import type`.
export type { RunConfig } from './common/config.ts';
import type { GpuAdapterRecord } from './backend/webgpu.ts';
import type { ClassApRow, OverfittingVerdict } from './common/verdict.ts';

/** Loss values by name, e.g. { loss_objectness, loss_rpn_box, loss_classifier, loss_box, loss_mask, total }. */
export type LossValues = Record<string, number>;

/** The 12 COCOeval summary numbers: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl. */
export type CocoStats = number[];

export interface StartedEvent {
  type: 'started';
  time: string;
  /** Backend actually used: 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu'. */
  backend: string;
  /** On WebGPU: the adapter (vendor, architecture, device, description, software?, host). */
  gpu?: GpuAdapterRecord;
  /** Short human-readable summary, e.g. "cpu preset, R-custom FPN 64ch, 160px, 12 epochs". */
  configSummary: string;
  totalIterations: number;
  trainImages: number;
  valImages: number;
  /** Iteration training starts from (0, or the resumed checkpoint's). */
  startIteration: number;
}

export interface ProgressEvent {
  type: 'progress';
  time: string;
  iteration: number;
  totalIterations: number;
  /** Fractional epoch over the train split. */
  epoch: number;
  imagesPerSecond: number;
  etaSeconds: number;
  lr: number;
  losses: LossValues;
}

export interface MetricEvent {
  type: 'metric';
  time: string;
  /**
   * e.g. 'val/bbox/AP', 'val/segm/AP50', 'train/bbox/AP' (the fixed train sample), and 'val/loss': the
   * total training loss on the val images, computed without gradients at each evaluation.
   */
  name: string;
  value: number;
  iteration: number;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  time: string;
  /** Absolute path of the checkpoint folder. */
  path: string;
  iteration: number;
  /** 'last' for the periodic one, 'best' when it is also the best by val box AP. */
  kind: 'last' | 'best';
}

export interface EvaluationEvent {
  type: 'evaluation';
  time: string;
  /** 'train' is the fixed, seeded sample of training images (solver.trainEvalImages), not the whole split. */
  split: 'train' | 'val' | 'test';
  iteration: number;
  /** Number of images evaluated. */
  images?: number;
  bbox: CocoStats;
  segm: CocoStats;
  /** Per-category box AP (AP@[.5:.95]) by category id, when the evaluator provides it. */
  perCategory?: Record<string, unknown>;
  /** 95 % bootstrap intervals over the evaluated images (trainer/eval/bootstrap.ts); absent in older runs. */
  interval?: ApIntervals;
}

/** Percentile-bootstrap intervals (0..1) of AP@[.5:.95]; per-class bounds ride in perCategory as lo/hi. */
export interface ApIntervals {
  bbox: [number, number];
  segm: [number, number];
  resamples: number;
  seed: number;
  /** Non-crowd ground-truth instances in the evaluated images. */
  instances: number;
}

export interface DoneEvent {
  type: 'done';
  time: string;
  iteration: number;
  /** Final val stats (empty arrays when there is no val split). */
  bbox: CocoStats;
  segm: CocoStats;
  /** Path of the predictions file written for the val/test split, when any. */
  predictionsPath?: string;
  /** 'completed' normally (also after an early stop), 'cancelled' when the signal aborted the run (resumable). */
  reason: 'completed' | 'cancelled';
  /** True when the run ended before its schedule because val box AP stopped improving (solver.earlyStopPatience). */
  stoppedEarly?: boolean;
  /** Iteration of the best val box AP (the checkpoint in checkpoints/best), when any evaluation ran. */
  bestIteration?: number;
  bestBoxAp?: number;
}

/** What `fieldwork-train estimate` prints (one JSON line with --json): a measured warm-up. */
export interface EstimateResult {
  backend: string;
  /** Training throughput over the timed steps (median step, batch loading included). */
  imagesPerSecond: number;
  secondsPerIteration: number;
  totalIterations: number;
  /** secondsPerIteration × totalIterations + evaluationSeconds + finalSeconds. */
  estimatedSeconds: number;
  /** The end of the run besides its last evaluation: the best model's predictions on val (one round). */
  finalSeconds?: number;
  /** Estimated time of all evaluation rounds (val AP + val loss + train sample), measured on one batch. */
  evaluationSeconds: number;
  /** Timed steps measured (after one untimed warm-up step). */
  timedIterations: number;
  /** On WebGPU: the adapter it was measured on (as a run's `started` event records it). */
  gpu?: GpuAdapterRecord;
  /** How the backend was chosen, when there is something to say (an adapter that was passed over, a fallback to WASM and why). */
  notes?: string[];
}

/**
 * The verdict so far (trainer/advice/report.ts, from the run's own files): once when training starts,
 * after each val evaluation, and a final one — the verdict in report.json — just before the run's
 * done or failed event. The app shows and records these; it does not rebuild them.
 */
export interface VerdictEvent {
  type: 'verdict';
  time: string;
  iteration: number;
  verdict: OverfittingVerdict;
  perClass: ClassApRow[];
  /** True for the one written into report.json as the run ended. */
  final: boolean;
}

export interface FailedEvent {
  type: 'failed';
  time: string;
  reason: string;
  iteration?: number;
}

export type TrainerEvent =
  | StartedEvent
  | ProgressEvent
  | MetricEvent
  | CheckpointEvent
  | EvaluationEvent
  | DoneEvent
  | VerdictEvent
  | FailedEvent;

export type TrainerEventType = TrainerEvent['type'];

/** Exit codes of the CLI. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 3;
