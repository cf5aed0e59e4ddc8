// Deterministic synthetic instance-segmentation data: coloured shapes on textured backgrounds with
// exact polygon masks. Used by the learning test and benches; writeSyntheticRun() writes a complete
// run folder (PNG images + snapshot.json + config.json) others can train on.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { CocoAnnotation, CocoDataset, CocoImage } from '../common/coco.ts';
import { Rng } from '../common/rng.ts';

export const SYNTHETIC_CATEGORIES = [
  { id: 1, name: 'circle' },
  { id: 2, name: 'box' },
  { id: 3, name: 'triangle' },
  { id: 4, name: 'diamond' },
];
/** Base colour per class (RGB); instances jitter around it so shape and colour both carry signal. */
const BASE_COLOURS: [number, number, number][] = [[220, 60, 50], [60, 190, 70], [60, 90, 230], [230, 200, 40]];

export interface SyntheticImage {
  width: number;
  height: number;
  /** RGB, row-major. */
  pixels: Uint8Array;
  objects: { categoryId: number; polygon: number[]; bbox: [number, number, number, number] }[];
}

export interface SyntheticOptions {
  width: number;
  height: number;
  /** Objects per image: uniform in [minObjects, maxObjects]. */
  minObjects: number;
  maxObjects: number;
  /** Object size (bounding-box side) in pixels: uniform in [minSize, maxSize]. */
  minSize: number;
  maxSize: number;
  /**
   * Number of classes (default 4, the four shapes). 1 makes every object a "circle"; more than 4
   * reuses the shapes with a colour per class, so class k is shape ((k − 1) mod 4) + 1.
   */
  classes?: number;
}

/** The categories of a synthetic set with `n` classes (1..n). */
export function syntheticCategories(n = SYNTHETIC_CATEGORIES.length): { id: number; name: string }[] {
  if (!(Number.isInteger(n) && n >= 1 && n <= 80)) throw new Error(`Error in syntheticCategories: classes must be an integer in [1, 80], got ${n}`);
  return Array.from({ length: n }, (_, i) => (i < SYNTHETIC_CATEGORIES.length ? SYNTHETIC_CATEGORIES[i] : { id: i + 1, name: `${SYNTHETIC_CATEGORIES[i % 4].name}-${i + 1}` }));
}

export const DEFAULT_SYNTHETIC: SyntheticOptions = { width: 128, height: 128, minObjects: 1, maxObjects: 4, minSize: 20, maxSize: 48 };

function shapePolygon(cls: number, cx: number, cy: number, size: number, aspect: number, rot: number): number[] {
  const pts: [number, number][] = [];
  const rx = size / 2, ry = (size / 2) * aspect;
  if (cls === 1) {
    for (let i = 0; i < 24; i++) { const t = (2 * Math.PI * i) / 24; pts.push([rx * Math.cos(t), rx * Math.sin(t)]); }
  } else if (cls === 2) {
    pts.push([-rx, -ry], [rx, -ry], [rx, ry], [-rx, ry]);
  } else if (cls === 3) {
    pts.push([0, -rx], [rx * 0.95, rx * 0.75], [-rx * 0.95, rx * 0.75]);
  } else {
    pts.push([0, -rx], [rx * 0.7, 0], [0, rx], [-rx * 0.7, 0]);
  }
  const c = Math.cos(rot), s = Math.sin(rot);
  return pts.flatMap(([x, y]) => [cx + x * c - y * s, cy + x * s + y * c]);
}

function inside(poly: number[], x: number, y: number): boolean {
  let inPoly = false;
  for (let i = 0, j = poly.length / 2 - 1; i < poly.length / 2; j = i++) {
    const xi = poly[2 * i], yi = poly[2 * i + 1], xj = poly[2 * j], yj = poly[2 * j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inPoly = !inPoly;
  }
  return inPoly;
}

/** Image number `index` of the stream defined by `seed` (same inputs → same pixels). */
export function syntheticImage(seed: number, index: number, opts: SyntheticOptions = DEFAULT_SYNTHETIC): SyntheticImage {
  const rng = new Rng((seed * 7919 + index * 104729 + 12345) >>> 0);
  const { width: W, height: H } = opts;
  const px = new Uint8Array(W * H * 3);
  // Textured background: a colour gradient, stripes and per-pixel noise.
  const bg = [40 + rng.int(140), 40 + rng.int(140), 40 + rng.int(140)];
  const bg2 = [40 + rng.int(140), 40 + rng.int(140), 40 + rng.int(140)];
  const period = 6 + rng.int(14), angle = rng.next() * Math.PI, stripe = 10 + rng.int(25);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const t = (x + y) / (W + H);
    const st = Math.sin(((x * Math.cos(angle) + y * Math.sin(angle)) * 2 * Math.PI) / period) * stripe;
    for (let c = 0; c < 3; c++) {
      const v = bg[c] * (1 - t) + bg2[c] * t + st + (rng.next() - 0.5) * 30;
      px[(y * W + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  const n = opts.minObjects + rng.int(opts.maxObjects - opts.minObjects + 1);
  const objects: SyntheticImage['objects'] = [];
  const taken: [number, number, number, number][] = [];
  for (let tries = 0; objects.length < n && tries < 50; tries++) {
    const classId = 1 + rng.int(opts.classes ?? SYNTHETIC_CATEGORIES.length);
    const cls = ((classId - 1) % SYNTHETIC_CATEGORIES.length) + 1;
    const size = opts.minSize + rng.next() * (opts.maxSize - opts.minSize);
    const aspect = cls === 2 ? 0.6 + rng.next() * 0.8 : 1;
    const rot = cls === 1 ? 0 : (rng.next() - 0.5) * 0.6;
    const cx = size / 2 + 1 + rng.next() * (W - size - 2), cy = size / 2 + 1 + rng.next() * (H - size - 2);
    const poly = shapePolygon(cls, cx, cy, size, aspect, rot);
    const xs = poly.filter((_, i) => i % 2 === 0), ys = poly.filter((_, i) => i % 2 === 1);
    const box: [number, number, number, number] = [Math.max(0, Math.min(...xs)), Math.max(0, Math.min(...ys)), Math.min(W, Math.max(...xs)), Math.min(H, Math.max(...ys))];
    if (taken.some((t) => box[0] < t[2] + 2 && t[0] < box[2] + 2 && box[1] < t[3] + 2 && t[1] < box[3] + 2)) continue;
    taken.push(box);
    // Classes beyond the four shapes get their own hue (a rotation of the shape's base colour).
    const lap = Math.floor((classId - 1) / SYNTHETIC_CATEGORIES.length);
    const base0 = BASE_COLOURS[cls - 1];
    const base = lap === 0 ? base0 : base0.map((_, k) => base0[(k + lap) % 3] * (lap % 2 ? 0.6 : 1) + (lap % 2 ? 60 : 0));
    const colour = base.map((v) => Math.max(0, Math.min(255, v + (rng.next() - 0.5) * 70)));
    for (let y = Math.floor(box[1]); y < Math.ceil(box[3]); y++) for (let x = Math.floor(box[0]); x < Math.ceil(box[2]); x++) {
      if (!inside(poly, x + 0.5, y + 0.5)) continue;
      for (let c = 0; c < 3; c++) px[(y * W + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(colour[c] + (rng.next() - 0.5) * 16)));
    }
    objects.push({ categoryId: classId, polygon: poly.map((v) => Math.round(v * 100) / 100), bbox: [box[0], box[1], box[2] - box[0], box[3] - box[1]] });
  }
  return { width: W, height: H, pixels: px, objects };
}

export interface SyntheticRunOptions extends Partial<SyntheticOptions> {
  seed: number;
  train: number;
  val: number;
  test?: number;
  /** Written to config.json as is (validated by the trainer). */
  config?: Record<string, unknown>;
}

/** Writes images/*.png, snapshot.json (splits set) and config.json into `runDir`. */
export async function writeSyntheticRun(runDir: string, o: SyntheticRunOptions): Promise<CocoDataset> {
  const opts = { ...DEFAULT_SYNTHETIC, ...o };
  mkdirSync(join(runDir, 'images'), { recursive: true });
  const images: CocoImage[] = [], annotations: CocoAnnotation[] = [];
  const splits: ['train' | 'val' | 'test', number][] = [['train', o.train], ['val', o.val], ['test', o.test ?? 0]];
  let index = 0;
  for (const [split, count] of splits) {
    for (let i = 0; i < count; i++, index++) {
      const img = syntheticImage(o.seed, index, opts);
      const file = `images/${split}_${String(i).padStart(5, '0')}.png`;
      await sharp(Buffer.from(img.pixels), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(join(runDir, file));
      const id = index + 1;
      images.push({ id, file_name: file, width: img.width, height: img.height, split });
      for (const obj of img.objects) {
        annotations.push({
          id: annotations.length + 1, image_id: id, category_id: obj.categoryId, bbox: obj.bbox,
          area: obj.bbox[2] * obj.bbox[3], iscrowd: 0, segmentation: [obj.polygon],
        });
      }
    }
  }
  const ds: CocoDataset = { info: { description: `Fieldwork synthetic shapes, seed ${o.seed}` }, images, annotations, categories: syntheticCategories(opts.classes) };
  writeFileSync(join(runDir, 'snapshot.json'), JSON.stringify(ds));
  writeFileSync(join(runDir, 'config.json'), JSON.stringify(o.config ?? { preset: 'cpu' }, null, 2));
  return ds;
}
