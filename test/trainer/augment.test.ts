// Augmentation checked geometrically: after large-scale jitter (scale, crop, flip) every kept box
// is the extent of its mask's visible part in the sample's frame, the mask targets sampled through
// the window fill their boxes, instances that leave the window are dropped with their masks, and
// photometric jitter changes colours only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { ImageCache, prepareImage } from '../../trainer/data/loader.ts';
import { applyPhotometric, cropBoxes, randomWindow } from '../../trainer/data/augment.ts';
import { Rng } from '../../trainer/common/rng.ts';
import type { ImageRecord } from '../../trainer/data/snapshot.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import { train } from '../../trainer/train.ts';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import { tempDir, writeImage } from '../helpers/tmp.ts';

await initBackend('wasm');
const root = tempDir('fw-augment-');
const W = 120, H = 90;
const rect = (x: number, y: number, w: number, h: number) => ({ bbox: [x, y, w, h] as [number, number, number, number], classIndex: 1, segmentation: [[x, y, x + w, y, x + w, y + h, x, y + h]] });
/** A right triangle with its right angle at (x, y + h): its box is x..x+w, y..y+h. */
const tri = (x: number, y: number, w: number, h: number) => ({ bbox: [x, y, w, h] as [number, number, number, number], classIndex: 2, segmentation: [[x, y, x, y + h, x + w, y + h]] });

async function record(): Promise<ImageRecord> {
  const path = await writeImage(join(root, 'img.png'), W, H, 3);
  return { id: 1, path, width: W, height: H, split: 'train', instances: [rect(5, 5, 30, 20), tri(60, 30, 40, 50), rect(100, 70, 15, 15), rect(40, 60, 8, 25)] };
}

/** The visible extent, in the sample's frame, of instance `g`'s full-resolution mask (pixel centres mapped through scale, crop, flip). */
function visibleExtent(mask: { data: Uint8Array; width: number; height: number; window?: { x0: number; y0: number; rows: number; cols: number } }, scale: number, crop: { x0: number; y0: number }, w: number, h: number, flip: boolean): number[] | null {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  const win = mask.window ?? { x0: 0, y0: 0, rows: mask.height, cols: mask.width };
  for (let r = 0; r < win.rows; r++) for (let c = 0; c < win.cols; c++) {
    if (!mask.data[r * win.cols + c]) continue;
    // The pixel's square [x, x + 1) mapped into the frame.
    const fx1 = (win.x0 + c) * scale - crop.x0, fx2 = (win.x0 + c + 1) * scale - crop.x0;
    const fy1 = (win.y0 + r) * scale - crop.y0, fy2 = (win.y0 + r + 1) * scale - crop.y0;
    if (fx2 <= 0 || fy2 <= 0 || fx1 >= w || fy1 >= h) continue;
    x1 = Math.min(x1, Math.max(0, fx1)); y1 = Math.min(y1, Math.max(0, fy1));
    x2 = Math.max(x2, Math.min(w, fx2)); y2 = Math.max(y2, Math.min(h, fy2));
  }
  if (x2 < x1) return null;
  return flip ? [w - x2, y1, w - x1, y2] : [x1, y1, x2, y2];
}

test('after large-scale jitter every kept box is its mask\'s visible extent, and its mask target fills it', async () => {
  const rec = await record();
  const cache = new ImageCache();
  const all = cache.masks(rec);
  let kept = 0, dropped = 0;
  for (let seed = 1; seed <= 24; seed++) {
    const rng = new Rng(seed);
    const factor = [0.3, 0.8, 1.5, 2.0][seed % 4];
    const flip = seed % 3 === 0;
    const p = await prepareImage(rec, cache, 60, 100, flip, true, { scaleFactor: factor, rng }) as Awaited<ReturnType<typeof prepareImage>>;
    const t = p.truth!;
    assert.equal(p.pixels.length, p.width * p.height * 3);
    assert.ok(p.width <= 80 && p.height <= 60, 'the window is at most the un-jittered size');
    assert.equal(t.classes.length, t.boxes.length / 4);
    const masks = typeof t.masks === 'function' ? t.masks() : t.masks;
    assert.equal(masks.length, t.classes.length, 'one mask per kept instance');
    // Which instances were kept: match each kept mask back to the record's masks.
    for (let k = 0; k < t.classes.length; k++) {
      const g = all.indexOf(masks[k]);
      assert.ok(g >= 0);
      assert.equal(t.classes[k], rec.instances[g].classIndex, 'classes stay with their masks');
      const box = Array.from(t.boxes.subarray(4 * k, 4 * k + 4));
      assert.ok(box[0] >= 0 && box[1] >= 0 && box[2] <= p.width && box[3] <= p.height, `inside the frame: ${box}`);
      const ext = visibleExtent(masks[k], p.scale * (rec.width / all[g].width), t.crop!, p.width, p.height, flip)!;
      assert.ok(ext, 'a kept instance is visible');
      for (let j = 0; j < 4; j++) assert.ok(Math.abs(ext[j] - box[j]) <= 1.01 * Math.max(1, p.scale), `seed ${seed} instance ${g}: box ${box.map((v) => v.toFixed(1))} vs mask extent ${ext.map((v) => v.toFixed(1))}`);
      const target = p.gt.maskTarget(k, Float32Array.from(box), 14);
      const ones = target.reduce((s, v) => s + v, 0) / target.length;
      if (rec.instances[g].classIndex === 1) assert.ok(ones >= 0.9, `a rectangle's target fills its box (${ones.toFixed(2)})`);
      else {
        const whole = box[2] - box[0] >= 0.99 * 40 * p.scale && box[3] - box[1] >= 0.99 * 50 * p.scale;
        assert.ok(ones > 0.2 && (!whole || (ones > 0.35 && ones < 0.7)), `a triangle's target is its part of the box (${ones.toFixed(2)}${whole ? ', whole' : ''})`);
      }
      if (rec.instances[g].classIndex === 2 && box[2] - box[0] > 10 && box[3] - box[1] > 10 && ext[0] === box[0]) {
        // The triangle's right angle is bottom-left (bottom-right when flipped): that corner of the target is set.
        assert.equal(target[13 * 14 + (flip ? 13 : 0)], 1, 'orientation kept through the flip');
      }
      kept++;
    }
    dropped += rec.instances.length - t.classes.length;
  }
  assert.ok(kept > 40 && dropped > 5, `both kept (${kept}) and dropped (${dropped}) instances were exercised`);
});

test('cropBoxes clips to the window and drops what leaves it; randomWindow stays inside the image', () => {
  const win = { x0: 10, y0: 20, width: 50, height: 40, fullWidth: 100, fullHeight: 100 };
  const { boxes, keep } = cropBoxes(Float32Array.from([0, 0, 5, 5, 15, 25, 30, 35, 50, 50, 90, 90, 59, 30, 70, 40]), win);
  assert.deepEqual(keep, [1, 2]);
  assert.deepEqual(Array.from(boxes), [5, 5, 20, 15, 40, 30, 50, 40]);
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const w = randomWindow(100, 70, 80, 80, rng);
    assert.ok(w.x0 >= 0 && w.y0 === 0 && w.x0 + w.width <= 100 && w.height === 70);
  }
});

test('photometric jitter changes colours, not geometry: identity factors are a no-op, values stay in 0..255', () => {
  const px = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
  assert.deepEqual(applyPhotometric(px.slice(), { brightness: 1, contrast: 1, saturation: 1 }), px);
  const bright = applyPhotometric(px.slice(), { brightness: 1.3, contrast: 1, saturation: 1 });
  assert.ok(bright.reduce((s, v) => s + v, 0) > px.reduce((s, v) => s + v, 0));
  const grey = applyPhotometric(px.slice(), { brightness: 1, contrast: 1, saturation: 0 });
  for (let i = 0; i < grey.length; i += 3) assert.ok(Math.abs(grey[i] - grey[i + 1]) <= 1 && Math.abs(grey[i + 1] - grey[i + 2]) <= 1, 'saturation 0 is grey');
});

test('a run with scale jitter and photometric jitter trains; the switches are range-checked', async () => {
  assert.throws(() => validateRunConfig({ input: { scaleJitter: [2, 1] } }), /input\.scaleJitter/);
  assert.throws(() => validateRunConfig({ input: { photometric: 1.5 } }), /input\.photometric/);
  // On in the cpu preset (set from bench/real.ts on wagon-defects), off in tiny (unit-test runs) and paper (the paper's recipe).
  const aug = (p: string) => { const i = validateRunConfig({ preset: p }).input; return [i.scaleJitter, i.photometric, i.copyPaste]; };
  assert.deepEqual(aug('cpu'), [[0.5, 1.5], 0.2, 0.5]);
  assert.deepEqual(aug('tiny'), [[1, 1], 0, 0]);
  assert.deepEqual(aug('paper'), [[1, 1], 0, 0]);
  const dir = join(root, 'run');
  await writeSyntheticRun(dir, { seed: 51, train: 4, val: 0, width: 64, height: 64, minSize: 12, maxSize: 26, config: { preset: 'tiny', backend: 'wasm', input: { scaleJitter: [0.5, 2], photometric: 0.3 }, solver: { epochs: 3, evaluations: 0, checkpointEveryIterations: 0 } } });
  const plain = join(root, 'plain');
  await writeSyntheticRun(plain, { seed: 51, train: 4, val: 0, width: 64, height: 64, minSize: 12, maxSize: 26, config: { preset: 'tiny', backend: 'wasm', solver: { epochs: 3, evaluations: 0, checkpointEveryIterations: 0 } } });
  // train() itself leaves the same number of tensors behind with or without augmentation (see the report).
  const left = async (d: string) => {
    const before = tf.memory().numTensors;
    const end = await train(d);
    assert.equal(end.type, 'done', end.type === 'failed' ? end.reason : '');
    return tf.memory().numTensors - before;
  };
  assert.equal(await left(dir), await left(plain), 'augmentation adds no tensors');
});
