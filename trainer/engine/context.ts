// What every hook of a run reads (the run's fixed parts: its folder, resolved config, data, model)
// and the little each hook writes for the others (the best evaluation so far, the last one).
import type { CocoCategory, CocoDataset } from '../common/coco.ts';
import type { BackendName } from '../backend/index.ts';
import type { RunConfig } from '../common/config.ts';
import type { DoneEvent, EvaluationEvent, TrainerEvent } from '../protocol.ts';
import type { ImageRecord, Snapshot } from '../data/snapshot.ts';
import type { ImageCache } from '../data/loader.ts';
import type { MaskRcnn } from '../model/mask_rcnn.ts';
import type { SgdMomentum } from '../optim.ts';
import type { DataParallel } from '../parallel/data_parallel.ts';

export interface RunPaths {
  runDir: string;
  metrics: string;
  log: string;
  plan: string;
  lastCheckpoint: string;
  bestCheckpoint: string;
}

export interface TrainContext {
  paths: RunPaths;
  /** Validated once and resolved for this process (workers, threads, an extension's budget); frozen. */
  config: Readonly<RunConfig>;
  backend: BackendName;
  snap: Snapshot;
  train: ImageRecord[];
  val: ImageRecord[];
  categories: CocoCategory[];
  /** The fixed train sample evaluated alongside val, and its ground truth. */
  trainSample: ImageRecord[];
  trainSampleGt: CocoDataset;
  model: MaskRcnn;
  optimizer: SgdMomentum;
  pool: DataParallel;
  cache: ImageCache;
  /** Seconds on a monotonic clock (a fake one in tests). */
  clock: () => number;
  emit(e: TrainerEvent): void;
  log(line: string): void;
  /** Saves checkpoints/last (with the optimiser) or checkpoints/best at `iteration`, and says so. */
  checkpoint(kind: 'last' | 'best', iteration: number): Promise<void>;
}

/** What the evaluation hook leaves for the others. */
export interface RunRecord {
  bestBoxAp: number;
  bestIteration: number;
  /** The last val evaluation, and all of this process's. */
  lastEval: EvaluationEvent | null;
  history: EvaluationEvent[];
  /** Iteration of the last evaluation round (val or the train sample alone); -1 before any. */
  lastRoundAt: number;
  predictionsPath?: string;
  /** The run's done event, once the final report hook has sent it. */
  done?: DoneEvent;
}

export const now = () => new Date().toISOString();

