// Op tests against straightforward reference computations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { cellAnchors, generateAnchors } from '../../trainer/ops/anchors.ts';
import { decodeBoxes, encodeBoxes } from '../../trainer/ops/box_coder.ts';
import { boxIou } from '../../trainer/ops/boxes.ts';
import { BELOW_LOW, BETWEEN, matchBoxes } from '../../trainer/ops/matcher.ts';
import { sampleBalanced } from '../../trainer/ops/sampler.ts';
import { batchedNms, nms } from '../../trainer/ops/nms.ts';
import { assignFpnLevels, flattenLevels, planRoiAlign, roiAlign } from '../../trainer/ops/roi_align.ts';
import { groupNorm, gnGroups, ParamStore } from '../../trainer/model/layers.ts';
import { maskTarget } from '../../trainer/data/mask_targets.ts';
import { pasteMask } from '../../trainer/model/mask_head.ts';
import { Rng } from '../../trainer/common/rng.ts';

await initBackend('cpu');

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('cell anchors have the requested area and aspect ratio', () => {
  const a = cellAnchors(32, [0.5, 1, 2]);
  for (let i = 0; i < 3; i++) {
    const w = a[4 * i + 2] - a[4 * i], h = a[4 * i + 3] - a[4 * i + 1];
    assert.ok(Math.abs(w * h - 1024) < 1e-3);
    assert.ok(Math.abs(h / w - [0.5, 1, 2][i]) < 1e-6);
    assert.ok(Math.abs(a[4 * i] + a[4 * i + 2]) < 1e-6, 'centred');
  }
});

test('anchors follow (y, x, anchor) order with half-cell centres', () => {
  const [l0, l1] = generateAnchors({ sizes: [8, 16], aspectRatios: [1, 2], strides: [4, 8] }, [[2, 3], [1, 1]]);
  assert.equal(l0.length, 2 * 3 * 2 * 4);
  assert.equal(l1.length, 2 * 4);
  // Cell (y=1, x=2), anchor 0: centre (10, 6), 8×8.
  const k = ((1 * 3 + 2) * 2 + 0) * 4;
  close(l0.subarray(k, k + 4), [6, 2, 14, 10]);
});

test('box coder round-trips and matches the formula', () => {
  const ref = Float32Array.from([10, 20, 50, 60, 0, 0, 8, 4]);
  const tgt = Float32Array.from([12, 18, 40, 70, 1, 1, 9, 9]);
  const d = encodeBoxes(ref, tgt, [10, 10, 5, 5]);
  // dx = 10 · ((26) − (30)) / 40 = −1
  close([d[0]], [-1]);
  close([d[2]], [5 * Math.log(28 / 40)]);
  close(decodeBoxes(ref, d, [10, 10, 5, 5]), tgt, 1e-5);
});

test('IoU of known boxes', () => {
  const iou = boxIou(Float32Array.from([0, 0, 10, 10, 0, 0, 0, 0]), Float32Array.from([5, 0, 15, 10, 20, 20, 30, 30, 0, 0, 10, 10]));
  close(iou, [50 / 150, 0, 1, 0, 0, 0]);
});

test('matcher: thresholds, ignore band and low-quality matches', () => {
  // 2 GT × 4 predictions
  const iou = Float32Array.from([
    0.8, 0.5, 0.1, 0.0,
    0.1, 0.6, 0.2, 0.25,
  ]);
  const m = matchBoxes(iou, 2, 4, { high: 0.7, low: 0.3, allowLowQuality: false });
  assert.deepEqual([...m], [0, BETWEEN, BELOW_LOW, BELOW_LOW]);
  const lq = matchBoxes(iou, 2, 4, { high: 0.7, low: 0.3, allowLowQuality: true });
  assert.deepEqual([...lq], [0, 1, BELOW_LOW, BELOW_LOW], 'GT 1 keeps its best prediction (IoU 0.6)');
  assert.deepEqual([...matchBoxes(new Float32Array(0), 0, 3, { high: 0.7, low: 0.3, allowLowQuality: true })], [BELOW_LOW, BELOW_LOW, BELOW_LOW]);
});

test('sampler respects the batch size and positive fraction', () => {
  const labels = Int8Array.from({ length: 100 }, (_, i) => (i < 40 ? 1 : i < 90 ? 0 : -1));
  const s = sampleBalanced(labels, 32, 0.25, new Rng(3));
  assert.equal(s.positive.length, 8);
  assert.equal(s.negative.length, 24);
  assert.ok(s.positive.every((i) => labels[i] === 1) && s.negative.every((i) => labels[i] === 0));
  assert.equal(new Set(s.negative).size, 24);
  const few = sampleBalanced(Int8Array.from([1, 0, 0]), 256, 0.5, new Rng(1));
  assert.deepEqual([few.positive.length, few.negative.length], [1, 2]);
});

test('NMS keeps the best of overlapping boxes, per class when batched', () => {
  const boxes = Float32Array.from([0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 0, 0, 10, 10]);
  const scores = [0.9, 0.8, 0.7, 0.95];
  assert.deepEqual(nms(boxes, scores, 0.5), [3, 2]);
  assert.deepEqual(batchedNms(boxes, scores, [0, 0, 0, 1], 0.5), [3, 0, 2]);
  assert.deepEqual(nms(boxes, scores, 0.5, 1), [3]);
});

test('NMS equals the greedy definition on random boxes (ties by index), with and without an output cap', () => {
  const rng = new Rng(8);
  const iou = (b: Float32Array, i: number, j: number) => {
    const iw = Math.min(b[4 * i + 2], b[4 * j + 2]) - Math.max(b[4 * i], b[4 * j]);
    const ih = Math.min(b[4 * i + 3], b[4 * j + 3]) - Math.max(b[4 * i + 1], b[4 * j + 1]);
    if (iw <= 0 || ih <= 0) return 0;
    const a = (k: number) => Math.max(0, b[4 * k + 2] - b[4 * k]) * Math.max(0, b[4 * k + 3] - b[4 * k + 1]);
    return (iw * ih) / (a(i) + a(j) - iw * ih);
  };
  for (let k = 0; k < 20; k++) {
    const n = 1 + Math.floor(rng.next() * 120);
    const boxes = new Float32Array(4 * n);
    for (let i = 0; i < n; i++) {
      const x = rng.next() * 60, y = rng.next() * 60;
      boxes.set([x, y, x + 1 + rng.next() * 30, y + 1 + rng.next() * 30], 4 * i);
    }
    const scores = Array.from({ length: n }, () => Math.round(rng.next() * 20) / 20); // ties on purpose
    const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b);
    const want: number[] = [];
    for (const i of order) if (want.every((j) => iou(boxes, i, j) <= 0.5)) want.push(i);
    assert.deepEqual(nms(boxes, scores, 0.5), want);
    assert.deepEqual(nms(boxes, scores, 0.5, 5), want.slice(0, 5));
  }
});

/** Direct RoIAlign (aligned) on one map [H, W, C] for one box, as the definition reads. */
function roiAlignReference(map: number[][][], box: number[], stride: number, P: number, S: number): number[] {
  const H = map.length, W = map[0].length, C = map[0][0].length;
  const bilinear = (y: number, x: number, c: number) => {
    if (y < -1 || y > H || x < -1 || x > W) return 0;
    y = Math.max(y, 0); x = Math.max(x, 0);
    let y0 = Math.floor(y), x0 = Math.floor(x), y1 = y0 + 1, x1 = x0 + 1;
    if (y0 >= H - 1) { y0 = y1 = H - 1; y = y0; }
    if (x0 >= W - 1) { x0 = x1 = W - 1; x = x0; }
    const ly = y - y0, lx = x - x0;
    return (1 - ly) * (1 - lx) * map[y0][x0][c] + (1 - ly) * lx * map[y0][x1][c] + ly * (1 - lx) * map[y1][x0][c] + ly * lx * map[y1][x1][c];
  };
  const [x1, y1, x2, y2] = box.map((v) => v / stride - 0.5);
  const out: number[] = [];
  for (let py = 0; py < P; py++) for (let px = 0; px < P; px++) for (let c = 0; c < C; c++) {
    let s = 0;
    for (let iy = 0; iy < S; iy++) for (let ix = 0; ix < S; ix++) {
      s += bilinear(y1 + (py + (iy + 0.5) / S) * ((y2 - y1) / P), x1 + (px + (ix + 0.5) / S) * ((x2 - x1) / P), c);
    }
    out.push(s / (S * S));
  }
  return out;
}

test('RoIAlign matches the direct definition across levels and images', () => {
  const rng = new Rng(5);
  const f0 = tf.tensor4d(Array.from({ length: 2 * 8 * 8 * 3 }, () => rng.normal()), [2, 8, 8, 3]);
  const f1 = tf.tensor4d(Array.from({ length: 2 * 4 * 4 * 3 }, () => rng.normal()), [2, 4, 4, 3]);
  const { table, levels } = flattenLevels([f0, f1], [4, 8]);
  // The last two boxes are small for their level (bins of 0.1–0.4 px): their taps merge heavily.
  const boxes = Float32Array.from([2, 3, 20, 17, 0, 0, 32, 32, 25, 1, 40, 9, 9, 10, 12, 14, 13, 5, 14.5, 6]);
  const batch = [1, 0, 1, 0, 1], level = [0, 1, 1, 0, 1];
  const plan = planRoiAlign(boxes, batch, level, levels, { outputSize: 3, samplingRatio: 2 });
  const out = roiAlign(table, plan);
  assert.deepEqual(out.shape, [5, 3, 3, 3]);
  assert.ok(plan.offsets[5 * 9] < 5 * 9 * 16, `merged taps: ${plan.offsets[5 * 9]} of ${5 * 9 * 16}`);
  const got = out.dataSync();
  const maps = [f0.arraySync(), f1.arraySync()];
  for (let r = 0; r < 5; r++) {
    const ref = roiAlignReference(maps[level[r]][batch[r]], Array.from(boxes.subarray(4 * r, 4 * r + 4)), [4, 8][level[r]], 3, 2);
    close(got.subarray(r * 27, (r + 1) * 27), ref, 1e-4);
  }
  tf.dispose([f0, f1, table, out]);
});

test('FPN level assignment follows the canonical size rule', () => {
  const lv = assignFpnLevels(Float32Array.from([0, 0, 224, 224, 0, 0, 112, 112, 0, 0, 10, 10, 0, 0, 2000, 2000]), 224, 4);
  assert.deepEqual([...lv], [2, 1, 0, 3]); // P4, P3, P2 (clamped), P5 (clamped)
});

test('GroupNorm equals per-(image, group) standardisation', () => {
  const rng = new Rng(2);
  const x = tf.tensor4d(Array.from({ length: 2 * 3 * 3 * 4 }, () => rng.normal() * 3 + 1), [2, 3, 3, 4]);
  const store = new ParamStore(1);
  const p = store.gn('g', 4, 2);
  const y = groupNorm(x, p, 1e-5).arraySync();
  const xa = x.arraySync();
  for (let b = 0; b < 2; b++) for (let g = 0; g < 2; g++) {
    const vals: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let c = 2 * g; c < 2 * g + 2; c++) vals.push(xa[b][i][j][c]);
    const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
    const v = vals.reduce((s, q) => s + (q - mean) ** 2, 0) / vals.length;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let c = 2 * g; c < 2 * g + 2; c++) {
      assert.ok(Math.abs(y[b][i][j][c] - (xa[b][i][j][c] - mean) / Math.sqrt(v + 1e-5)) < 1e-4);
    }
  }
  assert.equal(gnGroups(256, 32), 32);
  assert.equal(gnGroups(24, 32), 24);
  assert.equal(gnGroups(48, 32), 24);
  tf.dispose(x);
  store.dispose();
});

test('mask targets resample the GT mask inside the RoI (and mirror when flipped)', () => {
  // 8×8 mask with the left half of rows 2..5 set.
  const data = new Uint8Array(64);
  for (let y = 2; y < 6; y++) for (let x = 0; x < 4; x++) data[y * 8 + x] = 1;
  const m = { data, height: 8, width: 8 };
  assert.deepEqual([...maskTarget(m, [0, 2, 8, 6], 4)], [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
  assert.deepEqual([...maskTarget(m, [0, 2, 8, 6], 4, true)], [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
  // A box over the exact object gives ones at 28×28 except where bilinear resampling rounds the
  // corners off (as RoIAlign of GT masks does in torchvision).
  const full = maskTarget(m, [0, 2, 4, 6], 28);
  for (let i = 3; i < 25; i++) for (let j = 3; j < 25; j++) assert.equal(full[i * 28 + j], 1);
  assert.ok(full.reduce((s, v) => s + v, 0) > 0.95 * 28 * 28);
});

test('pasting a mask fills its box at the threshold', () => {
  const probs = new Float32Array(4 * 4).fill(0.9);
  const out = pasteMask(probs, 4, [2, 1, 6, 3], 5, 8, 0.5);
  const rows = Array.from({ length: 5 }, (_, y) => Array.from(out.subarray(y * 8, y * 8 + 8)).join(''));
  assert.deepEqual(rows, ['00000000', '00111100', '00111100', '00000000', '00000000']);
});

test('pasting equals the per-pixel definition (bilinear on the M×M map, edge-clamped) for random boxes', () => {
  const rng = new Rng(21);
  const M = 6, H = 23, W = 31;
  const reference = (probs: Float32Array, box: number[], t: number) => {
    const out = new Uint8Array(H * W);
    const [x1, y1, x2, y2] = box;
    const bw = Math.max(x2 - x1, 1e-3), bh = Math.max(y2 - y1, 1e-3);
    const at = (i: number, j: number) => probs[Math.min(Math.max(i, 0), M - 1) * M + Math.min(Math.max(j, 0), M - 1)];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      if (x < Math.floor(x1) || x >= Math.ceil(x2) || y < Math.floor(y1) || y >= Math.ceil(y2)) continue;
      const v = ((y + 0.5 - y1) / bh) * M - 0.5, u = ((x + 0.5 - x1) / bw) * M - 0.5;
      if (v < -0.5 || v > M - 0.5 || u < -0.5 || u > M - 0.5) continue;
      const i0 = Math.floor(v), ly = v - i0, j0 = Math.floor(u), lx = u - j0;
      const p = (1 - ly) * ((1 - lx) * at(i0, j0) + lx * at(i0, j0 + 1)) + ly * ((1 - lx) * at(i0 + 1, j0) + lx * at(i0 + 1, j0 + 1));
      if (p >= t) out[y * W + x] = 1;
    }
    return out;
  };
  for (let k = 0; k < 40; k++) {
    const probs = Float32Array.from({ length: M * M }, () => rng.next());
    const x1 = rng.next() * 40 - 5, y1 = rng.next() * 30 - 5;
    const box = [x1, y1, x1 + rng.next() * 25, y1 + rng.next() * 20];
    assert.deepEqual(pasteMask(probs, M, box, H, W, 0.5), reference(probs, box, 0.5), `box ${box.map((v) => v.toFixed(2))}`);
  }
});
