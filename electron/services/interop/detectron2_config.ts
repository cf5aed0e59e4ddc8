// A complete Detectron2 config (no _BASE_ files) for the paper's from-scratch recipe — Detectron2's own
// configs/Misc/scratch_mask_rcnn_R_50_FPN_{3x,9x}_gn.yaml merged with mask_rcnn_R_50_FPN_3x_gn.yaml
// and Base-RCNN-FPN.yaml — with the schedule scaled to this dataset: MAX_ITER from the run's epochs
// over its train images, LR drops at the run's fractions from the end (the paper's last 60k / 20k of
// 540k by default), BASE_LR by the linear scaling rule (0.02 per 16 images). Every key is one that
// detectron2/config/defaults.py defines (test/fixtures/detectron2/defaults-keys.txt).
import type { RunConfig } from '../../../trainer/common/config.ts';
import { UserError } from '../errors.ts';

export const DETECTRON2_PRESETS = ['r50-gn', 'r101-gn', 'x152-32x8d-gn-cascade'] as const;
export type Detectron2Preset = (typeof DETECTRON2_PRESETS)[number];
export type Detectron2Norm = 'GN' | 'SyncBN';

export interface Detectron2Options {
  preset: Detectron2Preset;
  norm: Detectron2Norm;
  numClasses: number;
  trainImages: number;
  /** Images per iteration over all GPUs (the paper: 16; x152: 128 as Detectron2's X152 config). */
  imsPerBatch?: number;
  /** Dataset names train.py registers. */
  trainDataset: string;
  testDataset: string;
}

/** A float in the YAML even when whole (yacs refuses an int where Detectron2's default is a float). */
export interface FloatValue { float: number }
const f = (x: number): FloatValue => ({ float: x });
type Value = string | number | boolean | FloatValue | Value[];
export type FlatConfig = [key: string, value: Value][];

/** The config as (KEY.PATH, value) pairs in file order. */
export function detectron2Config(run: RunConfig, o: Detectron2Options): FlatConfig {
  if (!DETECTRON2_PRESETS.includes(o.preset)) throw new UserError(`--preset for detectron2 must be one of ${DETECTRON2_PRESETS.join(', ')}, not "${o.preset}".`);
  if (o.norm !== 'GN' && o.norm !== 'SyncBN') throw new UserError(`--norm must be GN or SyncBN, not "${o.norm}".`);
  if (!(o.trainImages > 0)) throw new UserError('The run has no train images to export.');
  const big = o.preset === 'x152-32x8d-gn-cascade';
  const ims = o.imsPerBatch ?? (big ? 128 : 16);
  if (!(Number.isInteger(ims) && ims >= 1)) throw new UserError(`IMS_PER_BATCH must be a positive whole number, not ${ims}.`);
  const s = run.solver;
  const maxIter = Math.max(1, Math.ceil((s.epochs * o.trainImages) / ims));
  const steps = [...s.lrDropsFromEnd].sort((a, b) => b - a).map((f) => Math.min(maxIter - 1, Math.max(1, Math.round(maxIter * (1 - f)))));
  // The run's warm-up in images, at this batch, never more than a quarter of the run.
  const warmup = Math.max(0, Math.min(Math.floor(maxIter / 4), Math.round((s.warmupIterations * s.imsPerBatch) / ims)));
  // At least 8 evaluations spread over the schedule (the paper read overfitting off these curves).
  const evalPeriod = Math.max(1, Math.floor(maxIter / 10));
  const norm = o.norm;
  const c: FlatConfig = [
    ['MODEL.META_ARCHITECTURE', 'GeneralizedRCNN'],
    ['MODEL.WEIGHTS', ''],
    ['MODEL.MASK_ON', true],
    ['MODEL.PIXEL_MEAN', [f(103.53), f(116.28), f(123.675)]],
    // scratch_mask_rcnn_R_50_FPN_9x_gn.yaml: dividing by the std makes sense from scratch.
    ['MODEL.PIXEL_STD', [f(57.375), f(57.12), f(58.395)]],
    ['MODEL.BACKBONE.NAME', 'build_resnet_fpn_backbone'],
    ['MODEL.BACKBONE.FREEZE_AT', 0],
    ['MODEL.RESNETS.DEPTH', big ? 152 : o.preset === 'r101-gn' ? 101 : 50],
    ['MODEL.RESNETS.NORM', norm],
    ['MODEL.RESNETS.STRIDE_IN_1X1', false],
    ['MODEL.RESNETS.NUM_GROUPS', big ? 32 : 1],
    ['MODEL.RESNETS.WIDTH_PER_GROUP', big ? 8 : 64],
    ['MODEL.RESNETS.OUT_FEATURES', ['res2', 'res3', 'res4', 'res5']],
    ['MODEL.FPN.IN_FEATURES', ['res2', 'res3', 'res4', 'res5']],
    ['MODEL.FPN.NORM', norm],
    ['MODEL.ANCHOR_GENERATOR.SIZES', [[32], [64], [128], [256], [512]]],
    ['MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS', [[f(0.5), f(1.0), f(2.0)]]],
    ['MODEL.RPN.IN_FEATURES', ['p2', 'p3', 'p4', 'p5', 'p6']],
    ['MODEL.RPN.PRE_NMS_TOPK_TRAIN', 2000],
    ['MODEL.RPN.PRE_NMS_TOPK_TEST', 1000],
    ['MODEL.RPN.POST_NMS_TOPK_TRAIN', big ? 2000 : 1000],
    ['MODEL.RPN.POST_NMS_TOPK_TEST', 1000],
    ['MODEL.ROI_HEADS.NAME', big ? 'CascadeROIHeads' : 'StandardROIHeads'],
    ['MODEL.ROI_HEADS.IN_FEATURES', ['p2', 'p3', 'p4', 'p5']],
    ['MODEL.ROI_HEADS.NUM_CLASSES', o.numClasses],
    ['MODEL.ROI_BOX_HEAD.NAME', 'FastRCNNConvFCHead'],
    ['MODEL.ROI_BOX_HEAD.NUM_CONV', 4],
    ['MODEL.ROI_BOX_HEAD.NUM_FC', 1],
    ['MODEL.ROI_BOX_HEAD.NORM', norm],
    ['MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION', 7],
    ['MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG', big],
    ['MODEL.ROI_MASK_HEAD.NAME', 'MaskRCNNConvUpsampleHead'],
    ['MODEL.ROI_MASK_HEAD.NUM_CONV', big ? 8 : 4],
    ['MODEL.ROI_MASK_HEAD.NORM', norm],
    ['MODEL.ROI_MASK_HEAD.POOLER_RESOLUTION', 14],
    ['DATASETS.TRAIN', [o.trainDataset]],
    ['DATASETS.TEST', [o.testDataset]],
    // Images marked done without labels are true negatives: keep them.
    ['DATALOADER.FILTER_EMPTY_ANNOTATIONS', false],
    ['DATALOADER.NUM_WORKERS', 4],
    ['SOLVER.IMS_PER_BATCH', ims],
    ['SOLVER.BASE_LR', f(round6((s.baseLr * ims) / 16))],
    ['SOLVER.MOMENTUM', f(s.momentum)],
    ['SOLVER.WEIGHT_DECAY', f(s.weightDecay)],
    ['SOLVER.WEIGHT_DECAY_NORM', f(0)],
    ['SOLVER.MAX_ITER', maxIter],
    ['SOLVER.STEPS', steps],
    ['SOLVER.GAMMA', f(0.1)],
    ['SOLVER.WARMUP_METHOD', 'linear'],
    ['SOLVER.WARMUP_ITERS', warmup],
    ['SOLVER.WARMUP_FACTOR', f(s.warmupFactor)],
    ['SOLVER.CHECKPOINT_PERIOD', evalPeriod],
    // The paper's big model: train-time scale augmentation [640, 864] with crops (Detectron2's X152 config).
    ['INPUT.MIN_SIZE_TRAIN', big ? [640, 864] : [640, 672, 704, 736, 768, 800]],
    ['INPUT.MIN_SIZE_TRAIN_SAMPLING', big ? 'range' : 'choice'],
    ['INPUT.MAX_SIZE_TRAIN', big ? 1440 : 1333],
    ['INPUT.MIN_SIZE_TEST', 800],
    ['INPUT.MAX_SIZE_TEST', 1333],
    ['INPUT.CROP.ENABLED', big],
    ['INPUT.FORMAT', 'BGR'],
    ['INPUT.MASK_FORMAT', 'bitmask'],
    ['TEST.EVAL_PERIOD', evalPeriod],
    ['TEST.DETECTIONS_PER_IMAGE', 100],
    ['TEST.PRECISE_BN.ENABLED', norm === 'SyncBN'],
    ['SEED', run.seed],
    ['OUTPUT_DIR', './output'],
    ['VERSION', 2],
  ];
  return c;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** YAML for a flat config: nested mappings, flow-style lists, JSON-quoted strings (valid YAML). */
export function toYaml(config: FlatConfig, header: string[] = []): string {
  const lines = header.map((h) => `# ${h}`);
  const open: string[] = [];
  for (const [key, value] of config) {
    const parts = key.split('.');
    let depth = 0;
    while (depth < open.length && depth < parts.length - 1 && open[depth] === parts[depth]) depth++;
    open.length = depth;
    for (let d = depth; d < parts.length - 1; d++) {
      lines.push(`${'  '.repeat(d)}${parts[d]}:`);
      open.push(parts[d]);
    }
    lines.push(`${'  '.repeat(parts.length - 1)}${parts.at(-1)}: ${yamlValue(value)}`);
  }
  return lines.join('\n') + '\n';
}

function yamlValue(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  // PyYAML reads a float only with a dot: 1e-05 would be a string, 1.0e-05 is a float.
  const t = String(v.float);
  return t.includes('.') ? t : t.includes('e') ? t.replace('e', '.0e') : `${t}.0`;
}

/** The plain value of a config entry (floats unwrapped), for tests and notes. */
export function plainValue(v: Value): unknown {
  if (Array.isArray(v)) return v.map(plainValue);
  return typeof v === 'object' ? v.float : v;
}
