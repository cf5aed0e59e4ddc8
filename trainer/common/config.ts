// Every trainer setting, its default per preset, and validateRunConfig() which copies, fills
// defaults and range-checks. Nothing else in trainer/ reads a global config: components take typed
// options built from this (see model/mask_rcnn.ts buildMaskRcnnOptions).
//
// Presets
//  - paper: He, Girshick & Dollár, "Rethinking ImageNet Pre-training" — R50-FPN, GN everywhere,
//    short side 800, 4conv1fc box head, 4conv mask head, 512 RoIs/image, long schedule.
//  - cpu:   a small GN ResNet-FPN that trains at useful speed on a laptop CPU (WASM backend):
//    16/32/64/128-channel basic-block backbone, 64-channel FPN, 2fc box head, 2conv mask head,
//    64 RoIs/image, short side 128–160. Measured with torchvision on 2 cores: 9.4 img/s at 128 px,
//    AP50 ≈ 0.8 on 4-class synthetic shapes in 10 minutes.
//  - tiny:  smaller still, for unit tests (seconds per step on the pure-JS backend).

export type PresetName = 'paper' | 'cpu' | 'tiny';
/** Every backend a run may ask for, `auto` first and then in the order `auto` tries them. */
export const BACKEND_CHOICES = ['auto', 'tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackboneConfig {
  /** ResNet depth: 18/34 use basic blocks, 50/101 bottlenecks. Sets the default `blocks`. */
  depth: 18 | 34 | 50 | 101;
  /** Blocks per stage res2..res5 (R18 [2,2,2,2], R34/R50 [3,4,6,3], R101 [3,4,23,3]). */
  blocks: [number, number, number, number];
  /** Stem conv (7×7/2) output channels (64 in the paper). */
  stemChannels: number;
  /** Output channels of res2..res5 (R50: 256/512/1024/2048; bottleneck width is a quarter). */
  stageChannels: [number, number, number, number];
}

export interface NormConfig {
  /** GroupNorm groups (32 in the paper); a layer with fewer channels uses the largest divisor ≤ this. */
  groups: number;
  /** GroupNorm epsilon (1e-5). */
  eps: number;
}

export interface RpnConfig {
  /** Anchor size (pixels, sqrt of area) per FPN level P2..P6. Paper: 32, 64, 128, 256, 512. */
  anchorSizes: [number, number, number, number, number];
  /** Aspect ratios h/w (0.5, 1, 2). */
  aspectRatios: number[];
  /** Per-level top-k before NMS while training / testing (2000 / 1000 in Detectron2 FPN). */
  preNmsTopKTrain: number;
  preNmsTopKTest: number;
  /** Proposals kept per image after NMS (1000 train / 1000 test). */
  postNmsTopKTrain: number;
  postNmsTopKTest: number;
  nmsThresh: number;
  /** Anchors with IoU ≥ fg are positive, < bg negative, between ignored. */
  fgIouThresh: number;
  bgIouThresh: number;
  /** Anchors sampled per image for the RPN loss (256) and their positive fraction (0.5). */
  batchSizePerImage: number;
  positiveFraction: number;
}

export interface RoiConfig {
  /** RoIs sampled per image (512) and the positive fraction (0.25). */
  batchSizePerImage: number;
  positiveFraction: number;
  /** Proposal–GT IoU for a foreground RoI (0.5); below is background. */
  fgIouThresh: number;
  /** RoIAlign output for the box head (7) and sampling points per bin edge (2). */
  boxPoolSize: number;
  samplingRatio: number;
  /** FPN level assignment: level = floor(canonicalLevel + log2(sqrt(area) / canonicalSize)). */
  canonicalSize: number;
  canonicalLevel: number;
  /** Box head: `convs` × [3×3 conv, GN, ReLU] then `fcs` × fc. Paper 4conv1fc: 4, 256, 1, 1024. */
  boxHeadConvs: number;
  boxHeadConvChannels: number;
  boxHeadFcs: number;
  boxHeadFcDim: number;
  /** Box-delta weights (wx, wy, ww, wh) = (10, 10, 5, 5). */
  boxWeights: [number, number, number, number];
  /** Inference: minimum class score, per-class NMS IoU, detections kept per image. */
  scoreThresh: number;
  nmsThresh: number;
  detectionsPerImage: number;
}

export interface MaskConfig {
  /** Mask head: `convs` × [3×3 conv `channels`, GN, ReLU] on a 14×14 RoIAlign, deconv 2×, 1×1 per class. */
  convs: number;
  channels: number;
  poolSize: number;
  /** Mask paste threshold at inference. */
  threshold: number;
}

export interface InputConfig {
  /** Short-side choices while training (scale jitter; one per image, uniformly). Paper: [800]; "train aug": 640–800. */
  trainShortSides: number[];
  /** Short side at test time. */
  testShortSide: number;
  /** Long side cap (1333 in the paper). */
  maxSize: number;
  /** Random horizontal flip while training. */
  hflip: boolean;
  /**
   * Large-scale jitter (trainer/data/augment.ts): each training image is resized by a factor drawn
   * uniformly from [lo, hi] of its chosen short side, then a window of the un-jittered size is cropped
   * (Ghiasi et al. 2021 use 0.1–2.0 at 1024 px). [1, 1] = off, every preset's default: its effect on
   * small CPU runs is not measured yet.
   */
  scaleJitter: [number, number];
  /** Photometric jitter strength: brightness, contrast, saturation factors in [1 − s, 1 + s]. 0 = off (default; unmeasured). */
  photometric: number;
  /**
   * Instance copy-paste (trainer/data/copy_paste.ts; Ghiasi et al. 2021): the probability that a
   * training image gets a random subset of another training image's instances pasted on (from the
   * same batch, else a random train image), occluding its own. 0 = off, every preset's default: its
   * effect is not measured here.
   */
  copyPaste: number;
  /** Scale factor range of the pasted instances, [lo, hi] (drawn uniformly per paste). */
  copyPasteScale: [number, number];
  /** Batched images are zero-padded to a multiple of this (P6 has stride 64). */
  sizeDivisibility: number;
}

export interface SolverConfig {
  /** Images per iteration. */
  imsPerBatch: number;
  /** LR for a batch of 16 (0.02); the run uses baseLr × imsPerBatch / 16. */
  baseLr: number;
  momentum: number;
  /** L2 weight decay on conv/fc weights (1e-4); none on GN parameters and biases. */
  weightDecay: number;
  /** Linear warm-up from warmupFactor × lr over warmupIterations. */
  warmupIterations: number;
  warmupFactor: number;
  /** Training length in epochs over the train split (scratch needs a long schedule). */
  epochs: number;
  /**
   * LR ÷10 points as fractions of the run, measured from the end like the paper (which drops at the
   * last 60k and last 20k of 540k iterations): [60/540, 20/540].
   */
  lrDropsFromEnd: number[];
  /** Periodic checkpoint interval (iterations; 0 = only at the end). */
  checkpointEveryIterations: number;
  /**
   * Validation interval in iterations, a user override: 0 (every preset's default) places
   * `evaluations` evaluations evenly over the schedule instead (trainer/schedule.ts).
   */
  evalEveryIterations: number;
  /**
   * Evaluations spread evenly over the schedule when evalEveryIterations is 0, besides the one at the
   * end (8: enough points for a val curve that can rise, peak and fall, whatever the run's length).
   * 0 = only the final evaluation.
   */
  evaluations: number;
  /**
   * Time budget in minutes (0 = off: the length is `epochs`). When set, the trainer measures its speed
   * over its first iterations and sets the total so the run — evaluations included — ends on time, with
   * warm-up and LR drops at `lrDropsFromEnd` of that total; `epochs` is then ignored. The plan and how
   * well the run kept to it are written to plan.json.
   */
  budgetMinutes: number;
  /** Clip the global gradient norm (0 = off). Scratch training with GN rarely needs it; a cheap guard. */
  clipGradNorm: number;
  /**
   * Training images evaluated at every evaluation, besides val, with the same evaluator (test-time
   * scale, no flip): a fixed sample drawn once from `seed`, so the train-sample AP curve compares like
   * with like. The train-vs-val AP gap is the paper's second overfitting sign. 0 = off.
   */
  trainEvalImages: number;
  /**
   * Early stop after this many consecutive evaluations without a new best val box AP (0 = off). The
   * run then ends like a completed one (best checkpoint, predictions, report) with `stoppedEarly`.
   * Inert when there are no evaluations before the end (evalEveryIterations and evaluations both 0).
   */
  earlyStopPatience: number;
}

export interface RunConfig {
  preset: PresetName;
  backend: BackendChoice;
  /** Seed for weights init, data order and augmentation. Same seed + same snapshot = same run. */
  seed: number;
  /**
   * When a run is created from a project, set the training scale, anchors and aspect ratios from the
   * train split's object sizes (trainer/data/data_aware.ts) unless the run's options set them. The
   * chosen values are written to the run's config.json. On for `cpu`; off for `paper` (the paper's
   * experiment) and `tiny` (unit tests).
   */
  dataAware: boolean;
  /**
   * Threads that share each batch (data parallel, trainer/parallel): 0 = one per CPU core, capped at
   * imsPerBatch. Only the WASM and pure-JS backends use it (native TensorFlow is multi-threaded
   * itself). Shards normalise their losses separately and their gradients are averaged, as
   * multi-GPU training does, so a run's numbers depend (slightly) on the count; the count used is
   * logged and kept in the checkpoint.
   */
  workers: number;
  /**
   * XNNPACK threads inside each of those WASM instances (tfjs' threaded build,
   * trainer/backend/wasm_threads.ts): 0 = the cores left over, ⌊cores ÷ workers⌋. Shards come
   * first because they also run the JavaScript and element-wise work in parallel (bench/cores.ts
   * compares the two), so on a machine with no more cores than images per batch this stays 1.
   */
  wasmThreads: number;
  backbone: BackboneConfig;
  norm: NormConfig;
  /** FPN channels (256). */
  fpnChannels: number;
  rpn: RpnConfig;
  roi: RoiConfig;
  mask: MaskConfig;
  input: InputConfig;
  solver: SolverConfig;
}

/** A partial RunConfig as config.json may hold it; nested objects are partial too. */
export type RunConfigInput = Partial<{
  [K in keyof RunConfig]: RunConfig[K] extends object ? (RunConfig[K] extends unknown[] ? RunConfig[K] : Partial<RunConfig[K]>) : RunConfig[K];
}>;

const PAPER: RunConfig = {
  preset: 'paper',
  backend: 'auto',
  seed: 1,
  dataAware: false,
  workers: 0,
  wasmThreads: 0,
  backbone: { depth: 50, blocks: [3, 4, 6, 3], stemChannels: 64, stageChannels: [256, 512, 1024, 2048] },
  norm: { groups: 32, eps: 1e-5 },
  fpnChannels: 256,
  rpn: {
    anchorSizes: [32, 64, 128, 256, 512], aspectRatios: [0.5, 1, 2],
    preNmsTopKTrain: 2000, preNmsTopKTest: 1000, postNmsTopKTrain: 1000, postNmsTopKTest: 1000,
    nmsThresh: 0.7, fgIouThresh: 0.7, bgIouThresh: 0.3, batchSizePerImage: 256, positiveFraction: 0.5,
  },
  roi: {
    batchSizePerImage: 512, positiveFraction: 0.25, fgIouThresh: 0.5, boxPoolSize: 7, samplingRatio: 2,
    canonicalSize: 224, canonicalLevel: 4, boxHeadConvs: 4, boxHeadConvChannels: 256, boxHeadFcs: 1, boxHeadFcDim: 1024,
    boxWeights: [10, 10, 5, 5], scoreThresh: 0.05, nmsThresh: 0.5, detectionsPerImage: 100,
  },
  mask: { convs: 4, channels: 256, poolSize: 14, threshold: 0.5 },
  input: { trainShortSides: [800], testShortSide: 800, maxSize: 1333, hflip: true, scaleJitter: [1, 1], photometric: 0, copyPaste: 0, copyPasteScale: [0.5, 1.5], sizeDivisibility: 64 },
  solver: {
    // The paper trains 16 images/iteration on 8 GPUs; one GPU holds ~2 at 800 px. LR scales linearly.
    imsPerBatch: 2, baseLr: 0.02, momentum: 0.9, weightDecay: 1e-4, warmupIterations: 1000, warmupFactor: 0.001,
    // 6× schedule ≈ 73 COCO epochs; small datasets overfit sooner — the val curve tells.
    epochs: 72, lrDropsFromEnd: [60 / 540, 20 / 540], checkpointEveryIterations: 2000, evalEveryIterations: 0, evaluations: 8, budgetMinutes: 0, clipGradNorm: 0,
    trainEvalImages: 50,
    // Off: the paper's schedule is the experiment (its small-data curves are read by peaking then
    // falling, which needs the whole curve), and its last LR drop often lifts AP after a plateau.
    earlyStopPatience: 0,
  },
};

const CPU: RunConfig = {
  ...PAPER,
  preset: 'cpu',
  dataAware: true,
  backbone: { depth: 18, blocks: [1, 1, 1, 1], stemChannels: 16, stageChannels: [16, 32, 64, 128] },
  // 16-channel layers with 32 groups would be per-channel norms; 8 groups keeps GN a group norm.
  norm: { groups: 8, eps: 1e-5 },
  fpnChannels: 64,
  rpn: {
    ...PAPER.rpn,
    anchorSizes: [16, 32, 64, 128, 256],
    preNmsTopKTrain: 600, preNmsTopKTest: 300, postNmsTopKTrain: 300, postNmsTopKTest: 150,
    batchSizePerImage: 128,
  },
  roi: {
    ...PAPER.roi,
    batchSizePerImage: 64, boxHeadConvs: 0, boxHeadConvChannels: 64, boxHeadFcs: 2, boxHeadFcDim: 256,
    canonicalSize: 56,
  },
  mask: { convs: 2, channels: 64, poolSize: 14, threshold: 0.5 },
  input: {
    ...PAPER.input, trainShortSides: [128, 144, 160], testShortSide: 160, maxSize: 267, sizeDivisibility: 32,
    // Augmentation on: measured on wagon-defects (bench/real.ts, 30 min per run, 2 cores), the
    // data-aware config with scale jitter 0.5–1.5, photometric 0.2 and copy-paste 0.5 reached val
    // mask AP50 18.2 % against 5.3 % without (box AP50 16.1 vs 12.3). The three were measured together,
    // one run each; the README's Benchmarks section has the table. `tiny` turns them off again.
    scaleJitter: [0.5, 1.5], photometric: 0.2, copyPaste: 0.5,
  },
  solver: {
    ...PAPER.solver,
    imsPerBatch: 4, baseLr: 0.08, warmupIterations: 100, warmupFactor: 0.01,
    epochs: 100, checkpointEveryIterations: 500, evalEveryIterations: 0, clipGradNorm: 10,
    // 5 flat evaluations of the 8 spread over the run. Short of that, one evaluation on a small val
    // set moves ±0.01–0.03 AP by noise (advice/overfitting.ts), so 2–3 flat evaluations are not a
    // trend; 5 is long enough that a plateau is real, short enough to save the last third of a run
    // that already peaked (what a small dataset does). The best checkpoint is kept either way.
    earlyStopPatience: 5,
  },
};

const TINY: RunConfig = {
  ...CPU,
  preset: 'tiny',
  dataAware: false,
  backbone: { depth: 18, blocks: [1, 1, 1, 1], stemChannels: 8, stageChannels: [8, 16, 32, 32] },
  norm: { groups: 4, eps: 1e-5 },
  fpnChannels: 16,
  rpn: { ...CPU.rpn, preNmsTopKTrain: 200, preNmsTopKTest: 100, postNmsTopKTrain: 50, postNmsTopKTest: 50, batchSizePerImage: 64 },
  roi: { ...CPU.roi, batchSizePerImage: 16, boxHeadFcDim: 32, boxHeadConvChannels: 16 },
  mask: { convs: 1, channels: 16, poolSize: 14, threshold: 0.5 },
  // Augmentation off: tiny runs are unit-test sized and their tests read exact, unjittered geometry.
  input: { ...CPU.input, trainShortSides: [64], testShortSide: 64, maxSize: 107, scaleJitter: [1, 1], photometric: 0, copyPaste: 0 },
  // Early stop off: tiny runs are unit-test sized and must run their whole, deterministic schedule.
  solver: { ...CPU.solver, imsPerBatch: 2, epochs: 1, warmupIterations: 10, checkpointEveryIterations: 0, evalEveryIterations: 0, earlyStopPatience: 0 },
};

export const PRESETS: Readonly<Record<PresetName, RunConfig>> = { paper: PAPER, cpu: CPU, tiny: TINY };

/** Default preset for a backend: the paper's model needs a GPU; everything else gets `cpu`. */
export function defaultPresetFor(backend: string): PresetName {
  return backend === 'tensorflow-gpu' ? 'paper' : 'cpu';
}

/** What a ConfigError is about: the dotted key (null when the rule spans keys), the rule broken, the value. */
export interface ConfigErrorDetails {
  key: string | null;
  rule: string;
  value: unknown;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly details: ConfigErrorDetails;
  constructor(message: string, details: ConfigErrorDetails = { key: null, rule: message, value: null }) {
    super(message);
    this.details = details;
  }
}

/** The key a rule is about when it reads "<dotted.key> must …" (the form every single-key rule here takes). */
function ruleKey(rule: string): string | null {
  const head = rule.split(' must ')[0];
  return head !== rule && /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(head) ? head : null;
}

const BLOCKS_BY_DEPTH: Record<number, [number, number, number, number]> = {
  18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3],
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merges `over` onto a copy of `base`: objects merge, arrays and scalars replace. */
function merge<T>(base: T, over: unknown, path: string): T {
  if (over === undefined) return structuredClone(base);
  if (isObject(base)) {
    if (!isObject(over)) throw new ConfigError(`Error in validateRunConfig: ${path || 'config'} must be an object, got ${JSON.stringify(over)}`, { key: path || null, rule: `${path || 'config'} must be an object`, value: over ?? null });
    const out: Record<string, unknown> = structuredClone(base) as Record<string, unknown>;
    for (const [k, v] of Object.entries(over)) {
      if (!(k in out)) throw new ConfigError(`Error in validateRunConfig: unknown key ${path ? path + '.' : ''}${k}`, { key: `${path ? path + '.' : ''}${k}`, rule: 'unknown key', value: v ?? null });
      out[k] = merge(out[k], v, path ? `${path}.${k}` : k);
    }
    return out as T;
  }
  return structuredClone(over) as T;
}

function check(cond: boolean, what: string, value: unknown): void {
  if (!cond) throw new ConfigError(`Error in validateRunConfig: ${what}, got ${JSON.stringify(value)}`, { key: ruleKey(what), rule: what, value: value ?? null });
}
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const inRange = (v: unknown, lo: number, hi: number): boolean => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;

/**
 * Copies `input`, fills every missing value from its preset (`input.preset`, else `fallbackPreset`),
 * and range-checks. Throws ConfigError naming the bad key and value. Never mutates `input`.
 * When `backbone.depth` is given without `blocks`, blocks follow the depth.
 */
export function validateRunConfig(input: unknown = {}, fallbackPreset: PresetName = 'cpu'): RunConfig {
  if (!isObject(input)) throw new ConfigError(`Error in validateRunConfig: config must be an object, got ${JSON.stringify(input)}`, { key: null, rule: 'config must be an object', value: input ?? null });
  const presetName = (input.preset ?? fallbackPreset) as PresetName;
  check(presetName in PRESETS, 'preset must be paper | cpu | tiny', presetName);
  let base = PRESETS[presetName];
  const bb = input.backbone;
  if (isObject(bb) && bb.depth !== undefined && bb.blocks === undefined) {
    check(typeof bb.depth === 'number' && bb.depth in BLOCKS_BY_DEPTH, 'backbone.depth must be 18, 34, 50 or 101', bb.depth);
    base = { ...base, backbone: { ...base.backbone, blocks: BLOCKS_BY_DEPTH[bb.depth as number] } };
  }
  const c = merge(base, input, '');
  c.preset = presetName;

  check((BACKEND_CHOICES as readonly string[]).includes(c.backend), `backend must be ${BACKEND_CHOICES.join(' | ')}`, c.backend);
  check(isInt(c.seed), 'seed must be an integer', c.seed);
  check(typeof c.dataAware === 'boolean', 'dataAware must be true or false', c.dataAware);
  check(isInt(c.workers) && c.workers >= 0 && c.workers <= 256, 'workers must be an integer in [0, 256] (0 = one per CPU core)', c.workers);
  check(isInt(c.wasmThreads) && c.wasmThreads >= 0 && c.wasmThreads <= 64, 'wasmThreads must be an integer in [0, 64] (0 = the cores left over)', c.wasmThreads);
  check([18, 34, 50, 101].includes(c.backbone.depth), 'backbone.depth must be 18, 34, 50 or 101', c.backbone.depth);
  check(c.backbone.blocks.length === 4 && c.backbone.blocks.every((b) => isInt(b) && b >= 1 && b <= 64), 'backbone.blocks must be 4 integers in [1, 64]', c.backbone.blocks);
  check(isInt(c.backbone.stemChannels) && c.backbone.stemChannels >= 1, 'backbone.stemChannels must be a positive integer', c.backbone.stemChannels);
  check(c.backbone.stageChannels.length === 4 && c.backbone.stageChannels.every((v) => isInt(v) && v >= 1), 'backbone.stageChannels must be 4 positive integers', c.backbone.stageChannels);
  if (c.backbone.depth >= 50) check(c.backbone.stageChannels.every((v) => v % 4 === 0), 'bottleneck stageChannels must be multiples of 4', c.backbone.stageChannels);
  check(isInt(c.norm.groups) && c.norm.groups >= 1, 'norm.groups must be a positive integer', c.norm.groups);
  check(inRange(c.norm.eps, 1e-12, 1e-1), 'norm.eps must be in [1e-12, 0.1]', c.norm.eps);
  check(isInt(c.fpnChannels) && c.fpnChannels >= 1, 'fpnChannels must be a positive integer', c.fpnChannels);

  const r = c.rpn;
  check(r.anchorSizes.length === 5 && r.anchorSizes.every((s) => inRange(s, 1, 4096)), 'rpn.anchorSizes must be 5 sizes (P2..P6) in [1, 4096]', r.anchorSizes);
  check(r.aspectRatios.length >= 1 && r.aspectRatios.every((a) => inRange(a, 0.01, 100)), 'rpn.aspectRatios must be in [0.01, 100]', r.aspectRatios);
  for (const k of ['preNmsTopKTrain', 'preNmsTopKTest', 'postNmsTopKTrain', 'postNmsTopKTest', 'batchSizePerImage'] as const) {
    check(isInt(r[k]) && r[k] >= 1, `rpn.${k} must be a positive integer`, r[k]);
  }
  check(inRange(r.nmsThresh, 0, 1), 'rpn.nmsThresh must be in [0, 1]', r.nmsThresh);
  check(inRange(r.fgIouThresh, 0, 1) && inRange(r.bgIouThresh, 0, 1) && r.bgIouThresh <= r.fgIouThresh, 'rpn IoU thresholds must satisfy 0 ≤ bg ≤ fg ≤ 1', [r.bgIouThresh, r.fgIouThresh]);
  check(inRange(r.positiveFraction, 0, 1), 'rpn.positiveFraction must be in [0, 1]', r.positiveFraction);

  const o = c.roi;
  check(isInt(o.batchSizePerImage) && o.batchSizePerImage >= 1, 'roi.batchSizePerImage must be a positive integer', o.batchSizePerImage);
  check(inRange(o.positiveFraction, 0, 1), 'roi.positiveFraction must be in [0, 1]', o.positiveFraction);
  check(inRange(o.fgIouThresh, 0, 1), 'roi.fgIouThresh must be in [0, 1]', o.fgIouThresh);
  check(isInt(o.boxPoolSize) && o.boxPoolSize >= 1, 'roi.boxPoolSize must be a positive integer', o.boxPoolSize);
  check(isInt(o.samplingRatio) && o.samplingRatio >= 1, 'roi.samplingRatio must be a positive integer', o.samplingRatio);
  check(inRange(o.canonicalSize, 1, 4096) && isInt(o.canonicalLevel) && o.canonicalLevel >= 2 && o.canonicalLevel <= 5, 'roi canonical size/level out of range', [o.canonicalSize, o.canonicalLevel]);
  check(isInt(o.boxHeadConvs) && o.boxHeadConvs >= 0 && isInt(o.boxHeadFcs) && o.boxHeadFcs >= 0 && o.boxHeadConvs + o.boxHeadFcs >= 1, 'roi box head needs ≥ 1 conv or fc', [o.boxHeadConvs, o.boxHeadFcs]);
  check(isInt(o.boxHeadConvChannels) && o.boxHeadConvChannels >= 1 && isInt(o.boxHeadFcDim) && o.boxHeadFcDim >= 1, 'roi box head widths must be positive integers', [o.boxHeadConvChannels, o.boxHeadFcDim]);
  check(o.boxWeights.length === 4 && o.boxWeights.every((w) => inRange(w, 1e-3, 1e3)), 'roi.boxWeights must be 4 positive numbers', o.boxWeights);
  check(inRange(o.scoreThresh, 0, 1) && inRange(o.nmsThresh, 0, 1), 'roi score/NMS thresholds must be in [0, 1]', [o.scoreThresh, o.nmsThresh]);
  check(isInt(o.detectionsPerImage) && o.detectionsPerImage >= 1, 'roi.detectionsPerImage must be a positive integer', o.detectionsPerImage);

  const m = c.mask;
  check(isInt(m.convs) && m.convs >= 0 && isInt(m.channels) && m.channels >= 1, 'mask convs/channels out of range', [m.convs, m.channels]);
  check(isInt(m.poolSize) && m.poolSize >= 2, 'mask.poolSize must be an integer ≥ 2', m.poolSize);
  check(inRange(m.threshold, 0, 1), 'mask.threshold must be in [0, 1]', m.threshold);

  const i = c.input;
  check(i.trainShortSides.length >= 1 && i.trainShortSides.every((s) => isInt(s) && s >= 16 && s <= 4096), 'input.trainShortSides must be integers in [16, 4096]', i.trainShortSides);
  check(isInt(i.testShortSide) && i.testShortSide >= 16 && i.testShortSide <= 4096, 'input.testShortSide must be an integer in [16, 4096]', i.testShortSide);
  check(isInt(i.maxSize) && i.maxSize >= Math.max(...i.trainShortSides, i.testShortSide), 'input.maxSize must be ≥ every short side', i.maxSize);
  check(typeof i.hflip === 'boolean', 'input.hflip must be boolean', i.hflip);
  check(Array.isArray(i.scaleJitter) && i.scaleJitter.length === 2 && inRange(i.scaleJitter[0], 0.05, 4) && inRange(i.scaleJitter[1], i.scaleJitter[0], 4), 'input.scaleJitter must be [lo, hi] with 0.05 ≤ lo ≤ hi ≤ 4 ([1, 1] = off)', i.scaleJitter);
  check(inRange(i.photometric, 0, 0.9), 'input.photometric must be in [0, 0.9] (0 = off)', i.photometric);
  check(inRange(i.copyPaste, 0, 1), 'input.copyPaste must be a probability in [0, 1] (0 = off)', i.copyPaste);
  check(Array.isArray(i.copyPasteScale) && i.copyPasteScale.length === 2 && inRange(i.copyPasteScale[0], 0.05, 4) && inRange(i.copyPasteScale[1], i.copyPasteScale[0], 4), 'input.copyPasteScale must be [lo, hi] with 0.05 ≤ lo ≤ hi ≤ 4', i.copyPasteScale);
  check(isInt(i.sizeDivisibility) && i.sizeDivisibility >= 32 && i.sizeDivisibility % 32 === 0, 'input.sizeDivisibility must be a multiple of 32', i.sizeDivisibility);

  const s = c.solver;
  check(isInt(s.imsPerBatch) && s.imsPerBatch >= 1 && s.imsPerBatch <= 256, 'solver.imsPerBatch must be an integer in [1, 256]', s.imsPerBatch);
  check(inRange(s.baseLr, 1e-8, 10), 'solver.baseLr must be in (0, 10]', s.baseLr);
  check(inRange(s.momentum, 0, 0.999), 'solver.momentum must be in [0, 0.999]', s.momentum);
  check(inRange(s.weightDecay, 0, 0.1), 'solver.weightDecay must be in [0, 0.1]', s.weightDecay);
  check(isInt(s.warmupIterations) && s.warmupIterations >= 0, 'solver.warmupIterations must be a non-negative integer', s.warmupIterations);
  check(inRange(s.warmupFactor, 0, 1), 'solver.warmupFactor must be in [0, 1]', s.warmupFactor);
  check(inRange(s.epochs, 0.001, 100000), 'solver.epochs must be in (0, 100000]', s.epochs);
  check(s.lrDropsFromEnd.every((f) => inRange(f, 0, 1)), 'solver.lrDropsFromEnd must be fractions in [0, 1]', s.lrDropsFromEnd);
  check(isInt(s.checkpointEveryIterations) && s.checkpointEveryIterations >= 0, 'solver.checkpointEveryIterations must be a non-negative integer', s.checkpointEveryIterations);
  check(isInt(s.evalEveryIterations) && s.evalEveryIterations >= 0, 'solver.evalEveryIterations must be a non-negative integer', s.evalEveryIterations);
  check(isInt(s.evaluations) && s.evaluations >= 0 && s.evaluations <= 1000, 'solver.evaluations must be an integer in [0, 1000] (0 = only at the end)', s.evaluations);
  check(s.budgetMinutes === 0 || inRange(s.budgetMinutes, 0.05, 60 * 24 * 14), 'solver.budgetMinutes must be 0 (off) or minutes in [0.05, 20160]', s.budgetMinutes);
  check(inRange(s.clipGradNorm, 0, 1e6), 'solver.clipGradNorm must be ≥ 0', s.clipGradNorm);
  check(isInt(s.trainEvalImages) && s.trainEvalImages >= 0 && s.trainEvalImages <= 100000, 'solver.trainEvalImages must be an integer in [0, 100000]', s.trainEvalImages);
  check(isInt(s.earlyStopPatience) && s.earlyStopPatience >= 0 && s.earlyStopPatience <= 10000, 'solver.earlyStopPatience must be an integer in [0, 10000] (0 = off)', s.earlyStopPatience);
  return c;
}

/** LR at `iteration` (0-based) of `totalIterations`: linear warm-up, ÷10 at each drop point. */
export function learningRateAt(s: SolverConfig, iteration: number, totalIterations: number): number {
  let lr = (s.baseLr * s.imsPerBatch) / 16;
  for (const f of s.lrDropsFromEnd) {
    if (iteration >= Math.round(totalIterations * (1 - f))) lr *= 0.1;
  }
  if (iteration < s.warmupIterations) {
    const alpha = iteration / s.warmupIterations;
    lr *= s.warmupFactor * (1 - alpha) + alpha;
  }
  return lr;
}

/** One line for the `started` event and the log. */
export function summarizeConfig(c: RunConfig, totalIterations: number, lengthPending = false): string {
  const b = c.backbone;
  const bb = b.stemChannels === 64 && b.blocks.join() === (BLOCKS_BY_DEPTH[b.depth] ?? []).join() ? `R${b.depth}` : `R${b.depth}-style ${b.blocks.join('/')} blocks, ${b.stageChannels.join('/')} ch`;
  return `${c.preset} preset: ${bb}-FPN(${c.fpnChannels}) GN, short side ${c.input.trainShortSides.join('/')}, ` +
    `${c.solver.imsPerBatch} img/iter, lr ${(c.solver.baseLr * c.solver.imsPerBatch) / 16}, ` +
    (lengthPending ? `iterations set by a ${c.solver.budgetMinutes} min budget after 5 timed steps` : c.solver.budgetMinutes > 0 ? `${totalIterations} iterations (a ${c.solver.budgetMinutes} min budget)` : `${Number(c.solver.epochs.toFixed(1))} epochs = ${totalIterations} iterations`) +
    (c.workers > 1 ? `, batch split over ${c.workers} threads` : '') + (c.wasmThreads > 1 ? `, ${c.wasmThreads} XNNPACK threads each` : '');
}
