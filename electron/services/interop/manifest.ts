// fieldwork-run.json: what export-run wrote (export_run.ts, readmes.ts) and import-run reads back.
import type { CocoDataset } from '../../../trainer/common/coco.ts';
import type { RunConfig } from '../../../trainer/common/config.ts';
import type { Split } from '../../../trainer/common/splits.ts';
import type { Detectron2Norm, Detectron2Preset } from './detectron2_config.ts';

export type Engine = 'detectron2' | 'torchvision';
export type ImagesMode = 'copy' | 'link' | 'absolute';

/** What export-run wrote into fieldwork-run.json (import-run reads it back). */
export interface RunManifest {
  format: 1;
  engine: Engine;
  exportedAt: string;
  runId: string | null;
  snapshotHash: string;
  /** The Fieldwork run config (solver, schedule, and for torchvision the architecture). */
  config: RunConfig;
  /** Model classes in index order (class i + 1 = categories[i]), as Fieldwork's trainer numbers them. */
  categories: CocoDataset['categories'];
  images: ImagesMode;
  splits: Record<Split, { images: number; annotations: number }>;
  detectron2?: { preset: Detectron2Preset; norm: Detectron2Norm; trainDataset: string; testDataset: string };
}
