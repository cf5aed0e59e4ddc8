// The training scale shown on the Train screen before Start: the config a run of these options would be
// created with — the same runConfigFor + finishRunConfig that `start` runs (data-aware scale and anchors
// unless the user set them) — and the train split's object sizes at that scale. With a short side the
// user typed, also the edits that train at it: the training sides, max size and RoI canonical size scaled,
// the anchors refitted to the objects at that side (trainer/data/data_aware.ts), so an edited scale
// does not keep anchors sized for another one.
import type { TrainOptions, TrainScale } from '../api.ts';
import { ConfigError, type RunConfig } from '../../trainer/common/config.ts';
import { TRAIN_SCALE_PATHS } from '../../trainer/common/scale_paths.ts';
import { DATA_AWARE_DEFAULTS, dataAwareChoice, quantile, trainObjectSizes } from '../../trainer/data/data_aware.ts';
import { UserError } from './errors.ts';
import type { Project } from './project.ts';
import { finishRunConfig } from './run_preflight.ts';
import { buildSnapshot, runConfigFor } from './runs.ts';

function userSet(overrides: Record<string, unknown> | undefined, path: string): boolean {
  let node: unknown = overrides;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, k)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  return true;
}

/** `options` without the scale values the user set: the base a new side is fitted from. */
function withoutScale(options: TrainOptions): TrainOptions {
  const overrides = structuredClone(options.overrides ?? {}) as Record<string, Record<string, unknown>>;
  for (const path of TRAIN_SCALE_PATHS) {
    const [group, key] = path.split('.');
    if (overrides[group] && typeof overrides[group] === 'object') delete overrides[group][key];
  }
  return { ...options, overrides };
}

export function trainScale(project: Project, options: TrainOptions, shortSide?: number): TrainScale {
  if (shortSide !== undefined && !(Number.isInteger(shortSide) && shortSide >= 32 && shortSide <= 4096)) {
    throw new UserError(`The training scale must be a whole number of pixels from 32 to 4096, not ${JSON.stringify(shortSide)}.`);
  }
  const snapshot = buildSnapshot(project, options.trainFraction ?? 1);
  const trainImages = snapshot.images.filter((i) => i.split === 'train').length;
  let config: RunConfig;
  let problem: string | null = null;
  try {
    config = runConfigFor(options, Math.max(1, trainImages), trainImages > 0 ? snapshot : undefined);
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof UserError)) throw err;
    config = runConfigFor({ preset: options.preset }, Math.max(1, trainImages));
    problem = err.message;
  }
  if (!problem && trainImages === 0) problem = 'No labelled images in the train split: label some images (or assign splits) first.';
  if (!problem) {
    try {
      finishRunConfig(snapshot, config);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      problem = err.message;
    }
  }
  const edited = userSet(options.overrides, 'input.testShortSide');
  const sizes = trainObjectSizes(snapshot);
  const side = config.input.testShortSide;
  const objects = sizes.count === 0 ? null : (() => {
    const sqrt = sizes.sqrtArea.map((v, i) => (v * side) / sizes.imageShortSide[i]);
    const shorter = sizes.shorterSide.map((v, i) => (v * side) / sizes.imageShortSide[i]);
    return { count: sizes.count, p10: quantile(sqrt, 0.1), p90: quantile(sqrt, 0.9), under8: shorter.filter((v) => v < 8).length / shorter.length };
  })();
  const scale: TrainScale = {
    dataAware: config.dataAware,
    chosenBy: edited ? 'you' : config.dataAware && objects && !problem ? 'data' : 'preset',
    shortSide: side,
    trainShortSides: config.input.trainShortSides,
    maxSize: config.input.maxSize,
    anchorSizes: [...config.rpn.anchorSizes],
    aspectRatios: config.rpn.aspectRatios,
    objects,
    problem,
  };
  if (shortSide !== undefined) scale.editsAt = editsAt(options, snapshot, trainImages, shortSide);
  return scale;
}

/** The config edits that train at `side`: sides in the preset's proportions, anchors refitted to the data there. */
function editsAt(options: TrainOptions, snapshot: ReturnType<typeof buildSnapshot>, trainImages: number, side: number): Record<string, unknown> {
  const base = runConfigFor(withoutScale(options), Math.max(1, trainImages));
  const choice = dataAwareChoice(snapshot, base, { ...DATA_AWARE_DEFAULTS, minShortSide: side, maxShortSide: side });
  if (choice) {
    return {
      'input.testShortSide': side,
      'input.trainShortSides': choice.trainShortSides,
      'input.maxSize': Math.max(choice.maxSize, side, ...choice.trainShortSides),
      'rpn.anchorSizes': choice.anchorSizes,
      'roi.canonicalSize': choice.canonicalSize,
    };
  }
  // No objects to fit anchors to: only the sides move, in the preset's proportions.
  const rel = (s: number) => Math.max(16, Math.round((s * side) / base.input.testShortSide / 16) * 16);
  const trainShortSides = [...new Set(base.input.trainShortSides.map(rel))].sort((a, b) => a - b);
  return {
    'input.testShortSide': side,
    'input.trainShortSides': trainShortSides,
    'input.maxSize': Math.max(Math.ceil((base.input.maxSize * side) / base.input.testShortSide), side, ...trainShortSides),
  };
}
