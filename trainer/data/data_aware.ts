// The data-aware default config: the training scale from the sizes of the objects in the train
// split, anchors from their size quantiles, aspect ratios from their shapes — so photos are not
// shrunk until their objects vanish (at the `cpu` preset's 160 px, the median wagon-defect object's
// shorter side is under 4 px). Applied when a run is created (the result is the run's config.json,
// editable) unless the user set those values; `dataAware: false` turns it off.
import type { CocoDataset } from '../common/coco.ts';
import type { RunConfig } from '../common/config.ts';

export interface ObjectSizes {
  /** Train-split objects measured. */
  count: number;
  /** Per object, in original pixels: sqrt(box area), the box's shorter side, h / w. */
  sqrtArea: number[];
  shorterSide: number[];
  aspect: number[];
  /** Per object: the short side of its image (the scale is set on it). */
  imageShortSide: number[];
  /** Train images' short sides and long/short ratios. */
  imageShortSides: number[];
  imageAspects: number[];
}

/** Object and image sizes of the train split (non-crowd boxes with positive size). */
export function trainObjectSizes(ds: CocoDataset): ObjectSizes {
  const train = new Map(ds.images.filter((i) => (i.split ?? 'train') === 'train').map((i) => [i.id, i]));
  const out: ObjectSizes = { count: 0, sqrtArea: [], shorterSide: [], aspect: [], imageShortSide: [], imageShortSides: [], imageAspects: [] };
  for (const img of train.values()) {
    out.imageShortSides.push(Math.min(img.width, img.height));
    out.imageAspects.push(Math.max(img.width, img.height) / Math.max(1, Math.min(img.width, img.height)));
  }
  for (const a of ds.annotations) {
    const img = train.get(a.image_id);
    const [, , w, h] = a.bbox;
    if (!img || a.iscrowd || !(w > 0 && h > 0)) continue;
    out.sqrtArea.push(Math.sqrt(w * h));
    out.shorterSide.push(Math.min(w, h));
    out.aspect.push(h / w);
    out.imageShortSide.push(Math.min(img.width, img.height));
    out.count++;
  }
  return out;
}

/** The q-quantile (0..1) of `xs`, linear between order statistics. */
export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const v = [...xs].sort((a, b) => a - b);
  const pos = (v.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

export interface DataAwareOptions {
  /** Targets at the training scale: the 10th-percentile object's shorter side and the median's. */
  p10ShorterSide: number;
  medianShorterSide: number;
  /** Smallest and largest training short side it picks. The cap keeps CPU steps affordable. */
  minShortSide: number;
  maxShortSide: number;
}

/**
 * The cap is a CPU choice, not a measurement of the best scale: each step's cost grows with the
 * square of the side, so a 30-minute CPU budget at 320 px still sees tens of epochs of a few hundred
 * images, and at 640 px four times fewer.
 */
export const DATA_AWARE_DEFAULTS: DataAwareOptions = { p10ShorterSide: 8, medianShorterSide: 32, minShortSide: 128, maxShortSide: 320 };

const STRIDES = [4, 8, 16, 32, 64];
const round16 = (x: number) => Math.max(16, Math.round(x / 16) * 16);

/** Object sizes at training short side `side` (images scaled so their short side is `side`). */
function atScale(sizes: ObjectSizes, values: number[], side: number): number[] {
  return values.map((v, i) => (v * side) / sizes.imageShortSide[i]);
}

/**
 * The short side to train at: the smallest multiple of 32 in [minShortSide, maxShortSide] at which
 * the 10th-percentile object's shorter side reaches p10ShorterSide and the median's reaches
 * medianShorterSide; the cap when none does. Never above the images' median short side (upsampling
 * adds no detail). Null when the split has no objects (the preset's own side stands).
 */
export function chooseShortSide(sizes: ObjectSizes, o: DataAwareOptions = DATA_AWARE_DEFAULTS): number | null {
  if (sizes.count === 0) return null;
  const native = quantile(sizes.imageShortSides, 0.5);
  const cap = Math.max(o.minShortSide, Math.min(o.maxShortSide, Math.floor(native / 32) * 32 || o.minShortSide));
  for (let side = o.minShortSide; side <= cap; side += 32) {
    const shorter = atScale(sizes, sizes.shorterSide, side);
    if (quantile(shorter, 0.1) >= o.p10ShorterSide && quantile(shorter, 0.5) >= o.medianShorterSide) return side;
  }
  return cap;
}

/** Anchor sizes P2..P6 from the objects' sqrt-area quantiles at `side`, each ≥ 2 strides, increasing. */
export function chooseAnchors(sizes: ObjectSizes, side: number): RunConfig['rpn']['anchorSizes'] {
  const s = atScale(sizes, sizes.sqrtArea, side);
  const qs = [0.05, 0.3, 0.6, 0.85, 0.98].map((q) => quantile(s, q));
  const out: number[] = [];
  qs.forEach((v, k) => {
    const lo = Math.max(2 * STRIDES[k], k ? out[k - 1] * 1.5 : 0);
    out.push(Math.round(Math.max(v, lo)));
  });
  return out as RunConfig['rpn']['anchorSizes'];
}

/** Three aspect ratios (h / w) from the 10th, 50th and 90th percentile shapes, kept ≥ 1.3× apart. */
export function chooseAspectRatios(sizes: ObjectSizes): number[] {
  const clamp = (x: number) => Math.min(5, Math.max(0.2, x));
  const r = [0.1, 0.5, 0.9].map((q) => clamp(quantile(sizes.aspect, q)));
  const mid = r[1];
  let out = [Math.min(r[0], mid / 1.3), mid, Math.max(r[2], mid * 1.3)];
  // Spacing may push past the [0.2, 5] range: slide the three back inside, keeping their ratios.
  if (out[2] > 5) out = out.map((x) => (x * 5) / out[2]);
  if (out[0] < 0.2) out = out.map((x) => (x * 0.2) / out[0]);
  return out.map((x) => Math.round(x * 100) / 100);
}

export interface DataAwareChoice {
  shortSide: number;
  trainShortSides: number[];
  maxSize: number;
  anchorSizes: RunConfig['rpn']['anchorSizes'];
  aspectRatios: number[];
  canonicalSize: number;
  /** Objects' sqrt-area, 10th and 90th percentile, at the training scale. */
  p10: number;
  p90: number;
}

/** The data-aware values for the train split of `ds`; null when it has no usable objects. */
export function dataAwareChoice(ds: CocoDataset, base: RunConfig, o: DataAwareOptions = DATA_AWARE_DEFAULTS): DataAwareChoice | null {
  const sizes = trainObjectSizes(ds);
  const side = chooseShortSide(sizes, o);
  if (side === null) return null;
  // Same relative scale jitter as the preset (cpu: 128/144/160 = 0.8/0.9/1.0 of its test side).
  const rel = base.input.trainShortSides.map((s) => s / base.input.testShortSide);
  const trainShortSides = [...new Set(rel.map((r) => round16(r * side)))].sort((a, b) => a - b);
  const aspect = Math.min(2, Math.max(1, quantile(sizes.imageAspects, 1)));
  const sqrt = atScale(sizes, sizes.sqrtArea, side);
  return {
    shortSide: side,
    trainShortSides,
    maxSize: Math.max(side, ...trainShortSides, Math.ceil(side * Math.max(aspect, base.input.maxSize / base.input.testShortSide))),
    anchorSizes: chooseAnchors(sizes, side),
    aspectRatios: chooseAspectRatios(sizes),
    canonicalSize: Math.round((base.roi.canonicalSize * side) / base.input.testShortSide),
    p10: quantile(sqrt, 0.1),
    p90: quantile(sqrt, 0.9),
  };
}

/** `config` with the data-aware values, except those the user set (dotted paths in `userSet`). */
export function applyDataAware(config: RunConfig, choice: DataAwareChoice, userSet: (path: string) => boolean): RunConfig {
  const c = structuredClone(config);
  if (!userSet('input.trainShortSides')) c.input.trainShortSides = choice.trainShortSides;
  if (!userSet('input.testShortSide')) c.input.testShortSide = choice.shortSide;
  if (!userSet('input.maxSize')) c.input.maxSize = Math.max(choice.maxSize, c.input.testShortSide, ...c.input.trainShortSides);
  if (!userSet('rpn.anchorSizes')) c.rpn.anchorSizes = choice.anchorSizes;
  if (!userSet('rpn.aspectRatios')) c.rpn.aspectRatios = choice.aspectRatios;
  if (!userSet('roi.canonicalSize')) c.roi.canonicalSize = choice.canonicalSize;
  return c;
}

/** The dataset-check line: "objects are 9–180 px at the training scale (320 px short side)". */
export function objectScaleSentence(ds: CocoDataset, config: RunConfig): string | null {
  const sizes = trainObjectSizes(ds);
  if (!sizes.count) return null;
  const side = config.input.testShortSide;
  const sqrt = atScale(sizes, sizes.sqrtArea, side);
  const shorter = atScale(sizes, sizes.shorterSide, side);
  const small = shorter.filter((v) => v < 8).length / shorter.length;
  return `objects are ${Math.round(quantile(sqrt, 0.1))}–${Math.round(quantile(sqrt, 0.9))} px at the training scale (${side} px short side)` +
    (small >= 0.1 ? `; ${Math.round(100 * small)} % have a shorter side under 8 px there and will be hard to find` : '');
}
