// Instance copy-paste (Ghiasi et al. 2021, "Simple Copy-Paste is a Strong Data Augmentation Method
// for Instance Segmentation"; config input.copyPaste, input.copyPasteScale): a random subset of
// another training image's instances — their masks and the pixels under them — is scaled by a
// random factor and pasted onto the image at a random place. What the pasted pixels cover is taken
// out of the image's own masks; an instance left with less than MIN_PASTED_AREA pixels is dropped,
// and every box is re-fitted to its mask. Plain arrays only (no tensors): it runs where the batch is
// prepared, before anything crosses to a worker thread.
import type { Rng } from '../common/rng.ts';

/** Instances whose mask keeps fewer pixels than this after the paste (or after clipping, if pasted) are dropped. */
export const MIN_PASTED_AREA = 4;

/** An image and its instances in one frame: masks are width × height, row-major 0/1. */
export interface FrameInstances {
  /** [h, w, 3] RGB */
  pixels: Uint8Array;
  width: number;
  height: number;
  masks: Uint8Array[];
  classes: Int32Array;
}

/** Which source instances go where: source pixel (sx, sy) lands on (dx + sx·scale, dy + sy·scale). */
export interface PastePlan {
  picks: number[];
  scale: number;
  dx: number;
  dy: number;
}

export interface PasteResult {
  pixels: Uint8Array;
  masks: Uint8Array[];
  /** [N, 4] x1, y1, x2, y2: the tight box of each mask (pixel edges). */
  boxes: Float32Array;
  classes: Int32Array;
  /** Indices of the target's own instances that were kept (they come first), then of the pasted source instances. */
  keptTarget: number[];
  keptSource: number[];
  /** The union of the pasted masks in the target frame. */
  pasted: Uint8Array;
}

/**
 * A random plan: each source instance picked with probability ½ (at least one), a scale uniform in
 * [lo, hi], and a place that keeps the scaled source overlapping the target. Null when the source has
 * no instance.
 */
export function randomPastePlan(source: { width: number; height: number; masks: ArrayLike<unknown> }, target: { width: number; height: number }, [lo, hi]: [number, number], rng: Rng): PastePlan | null {
  const n = source.masks.length;
  if (n === 0) return null;
  const picks: number[] = [];
  for (let i = 0; i < n; i++) if (rng.next() < 0.5) picks.push(i);
  if (picks.length === 0) picks.push(rng.int(n));
  const scale = lo + rng.next() * (hi - lo);
  const sw = Math.max(1, Math.round(source.width * scale)), sh = Math.max(1, Math.round(source.height * scale));
  const place = (t: number, s: number) => (s <= t ? rng.int(t - s + 1) : -rng.int(s - t + 1));
  return { picks, scale, dx: place(target.width, sw), dy: place(target.height, sh) };
}

/** The tight box [x1, y1, x2, y2] (pixel edges) of a w × h mask, or null when it is empty. */
export function tightBox(mask: Uint8Array, w: number, h: number): [number, number, number, number] | null {
  let x1 = w, y1 = h, x2 = -1, y2 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (!mask[row + x]) continue;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      y2 = y;
    }
  }
  return x2 < 0 ? null : [x1, y1, x2 + 1, y2 + 1];
}

function area(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}

/**
 * Pastes `plan.picks` of `source` onto `target` (nearest-neighbour scaling: the target pixel (x, y)
 * takes the source pixel (⌊(x − dx) / scale⌋, ⌊(y − dy) / scale⌋)). Inputs are not modified.
 */
export function copyPaste(target: FrameInstances, source: FrameInstances, plan: PastePlan, minArea = MIN_PASTED_AREA): PasteResult {
  const { width: w, height: h } = target, sw = source.width, sh = source.height;
  const pixels = Uint8Array.from(target.pixels);
  const pasted = new Uint8Array(w * h);
  const moved = plan.picks.map(() => new Uint8Array(w * h));
  for (let y = 0; y < h; y++) {
    const sy = Math.floor((y - plan.dy) / plan.scale);
    if (sy < 0 || sy >= sh) continue;
    for (let x = 0; x < w; x++) {
      const sx = Math.floor((x - plan.dx) / plan.scale);
      if (sx < 0 || sx >= sw) continue;
      const s = sy * sw + sx, t = y * w + x;
      let hit = false;
      plan.picks.forEach((g, k) => {
        if (source.masks[g][s]) { moved[k][t] = 1; hit = true; }
      });
      if (!hit) continue;
      pasted[t] = 1;
      pixels[3 * t] = source.pixels[3 * s]; pixels[3 * t + 1] = source.pixels[3 * s + 1]; pixels[3 * t + 2] = source.pixels[3 * s + 2];
    }
  }
  const masks: Uint8Array[] = [], boxes: number[] = [], classes: number[] = [], keptTarget: number[] = [], keptSource: number[] = [];
  const keep = (m: Uint8Array, cls: number) => {
    if (area(m) < minArea) return false;
    masks.push(m);
    boxes.push(...tightBox(m, w, h)!);
    classes.push(cls);
    return true;
  };
  target.masks.forEach((m, g) => {
    const left = new Uint8Array(w * h);
    for (let i = 0; i < left.length; i++) left[i] = m[i] & (pasted[i] ^ 1);
    if (keep(left, target.classes[g])) keptTarget.push(g);
  });
  plan.picks.forEach((g, k) => {
    if (keep(moved[k], source.classes[g])) keptSource.push(g);
  });
  return { pixels, masks, boxes: Float32Array.from(boxes), classes: Int32Array.from(classes), keptTarget, keptSource, pasted };
}
