// Instance copy-paste checked geometrically: after a paste every box is the tight box of its mask,
// the image's own masks lose exactly the pasted pixels (and instances left below the minimum area are
// dropped), the pixels under the pasted masks are the source's, the rest are untouched; the same seed
// gives the same paste; no tensors are made. Then a few real training steps with it on, on the
// committed Roboflow fixture (wagon-defect photos), with finite losses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { MIN_PASTED_AREA, copyPaste, randomPastePlan, type FrameInstances } from '../../trainer/data/copy_paste.ts';
import { ImageCache, frameMasks, pasteInto, prepareImage } from '../../trainer/data/loader.ts';
import { Rng } from '../../trainer/common/rng.ts';
import { PRESETS, validateRunConfig } from '../../trainer/common/config.ts';
import type { ImageRecord } from '../../trainer/data/snapshot.ts';
import { main } from '../../electron/cli/fieldwork.ts';
import { FIXTURES, tempDir, writeImage } from '../helpers/tmp.ts';

await initBackend('wasm');

function rectMask(w: number, h: number, x1: number, y1: number, x2: number, y2: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) m[y * w + x] = 1;
  return m;
}
function discMask(w: number, h: number, cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) m[y * w + x] = 1;
  return m;
}
function noise(n: number, seed: number): Uint8Array {
  const r = new Rng(seed);
  return Uint8Array.from({ length: n }, () => r.int(256));
}
/** The extent of a mask, computed here independently of the module. */
function extent(m: Uint8Array, w: number): number[] | null {
  const xs: number[] = [], ys: number[] = [];
  m.forEach((v, i) => { if (v) { xs.push(i % w); ys.push(Math.floor(i / w)); } });
  return xs.length ? [Math.min(...xs), Math.min(...ys), Math.max(...xs) + 1, Math.max(...ys) + 1] : null;
}
const count = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);

const W = 48, H = 36, SW = 30, SH = 24;
const target: FrameInstances = {
  pixels: noise(W * H * 3, 1), width: W, height: H, classes: Int32Array.from([1, 2, 1, 2]),
  masks: [rectMask(W, H, 2, 2, 20, 14), discMask(W, H, 30, 20, 9), rectMask(W, H, 10, 20, 14, 23), rectMask(W, H, 40, 2, 46, 34)],
};
const source: FrameInstances = {
  pixels: noise(SW * SH * 3, 2), width: SW, height: SH, classes: Int32Array.from([2, 1, 1]),
  masks: [discMask(SW, SH, 8, 8, 6), rectMask(SW, SH, 14, 4, 28, 20), rectMask(SW, SH, 2, 18, 9, 23)],
};

test('after a paste: boxes are the tight boxes of their masks, own masks lose exactly the pasted pixels, pasted pixels are the source\'s', () => {
  const before = { t: target.pixels.slice(), s: source.pixels.slice(), m: target.masks.map((m) => m.slice()) };
  let dropped = 0, pastedSomething = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const plan = randomPastePlan(source, target, [0.5, 2], new Rng(seed))!;
    const r = copyPaste(target, source, plan);
    // The pasted region, from the plan alone: target (x, y) ← source (⌊(x − dx)/s⌋, ⌊(y − dy)/s⌋).
    const from = (x: number, y: number) => {
      const sx = Math.floor((x - plan.dx) / plan.scale), sy = Math.floor((y - plan.dy) / plan.scale);
      return sx >= 0 && sy >= 0 && sx < SW && sy < SH ? sy * SW + sx : -1;
    };
    const union = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const s = from(x, y);
      if (s >= 0 && plan.picks.some((g) => source.masks[g][s])) union[y * W + x] = 1;
    }
    assert.deepEqual(r.pasted, union, `seed ${seed}: the pasted region`);
    if (count(union)) pastedSomething++;
    // Pixels: the source's under the pasted masks, the target's elsewhere.
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const t = y * W + x, s = from(x, y);
      const want = union[t] ? source.pixels.subarray(3 * s, 3 * s + 3) : target.pixels.subarray(3 * t, 3 * t + 3);
      assert.deepEqual([...r.pixels.subarray(3 * t, 3 * t + 3)], [...want], `seed ${seed} pixel ${x},${y}`);
    }
    // Every kept instance: its box is its mask's tight box, its mask has at least the minimum area.
    assert.equal(r.masks.length, r.classes.length);
    assert.equal(r.boxes.length, 4 * r.masks.length);
    r.masks.forEach((m, k) => {
      assert.deepEqual([...r.boxes.subarray(4 * k, 4 * k + 4)], extent(m, W), `seed ${seed} instance ${k}`);
      assert.ok(count(m) >= MIN_PASTED_AREA);
    });
    // Own instances: exactly the pasted pixels removed; those left too small are dropped.
    target.masks.forEach((m, g) => {
      const left = m.map((v, i) => v & (union[i] ^ 1));
      const k = r.keptTarget.indexOf(g);
      if (k < 0) { assert.ok(count(left) < MIN_PASTED_AREA, `seed ${seed}: instance ${g} dropped with ${count(left)} px left`); dropped++; return; }
      assert.deepEqual(r.masks[k], left, `seed ${seed}: instance ${g} occluded by exactly the paste`);
      assert.equal(r.classes[k], target.classes[g]);
    });
    // Pasted instances follow, each the picked source mask moved into the frame.
    r.keptSource.forEach((g, k) => {
      const idx = r.keptTarget.length + k;
      const moved = new Uint8Array(W * H);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) { const s = from(x, y); if (s >= 0 && source.masks[g][s]) moved[y * W + x] = 1; }
      assert.deepEqual(r.masks[idx], moved);
      assert.equal(r.classes[idx], source.classes[g]);
      assert.ok(plan.picks.includes(g));
    });
  }
  assert.ok(pastedSomething >= 30, `${pastedSomething} of 40 pastes landed`);
  assert.ok(dropped >= 1, 'some plan covered an instance whole (the fully occluded are dropped)');
  assert.deepEqual(target.pixels, before.t, 'inputs unchanged');
  assert.deepEqual(source.pixels, before.s);
  assert.deepEqual(target.masks, before.m);
});

test('the same seed gives the same paste; a fully covering paste drops the instance under it', () => {
  const a = randomPastePlan(source, target, [0.5, 1.5], new Rng(7)), b = randomPastePlan(source, target, [0.5, 1.5], new Rng(7));
  assert.deepEqual(a, b);
  assert.deepEqual(copyPaste(target, source, a!), copyPaste(target, source, b!));
  assert.notDeepEqual(randomPastePlan(source, target, [0.5, 1.5], new Rng(8)), a);
  assert.equal(randomPastePlan({ ...source, masks: [] }, target, [1, 1], new Rng(1)), null, 'nothing to paste');
  // Source instance 1 (x 14..28, y 4..20) at scale 1 shifted by (−4, 16) lands on x 10..24, y 20..36: all of target instance 2 (x 10..14, y 20..23).
  const r = copyPaste(target, source, { picks: [1], scale: 1, dx: -4, dy: 16 });
  assert.ok(!r.keptTarget.includes(2), 'instance 2 lies under the pasted box and is dropped');
  assert.ok(r.keptTarget.includes(0) && r.keptSource.includes(1));
});

test('pasteInto on prepared images (flipped, scale-jittered): frame masks match the boxes, targets come from the occluded masks, no tensors', async () => {
  const root = tempDir('fw-paste-');
  const rect = (x: number, y: number, w: number, h: number, classIndex: number) => ({ bbox: [x, y, w, h] as [number, number, number, number], classIndex, segmentation: [[x, y, x + w, y, x + w, y + h, x, y + h]] });
  const recA: ImageRecord = { id: 1, path: await writeImage(join(root, 'a.png'), 120, 90, 3), width: 120, height: 90, split: 'train', instances: [rect(10, 10, 40, 30, 1), rect(60, 40, 50, 40, 2)] };
  const recB: ImageRecord = { id: 2, path: await writeImage(join(root, 'b.png'), 100, 100, 5), width: 100, height: 100, split: 'train', instances: [rect(20, 20, 50, 50, 2)] };
  const cache = new ImageCache();
  const plain = await prepareImage(recA, cache, 60, 200, true, true);
  // Frame masks of an unaugmented, flipped sample: their tight boxes are the GT boxes (to the pixel).
  frameMasks(plain.truth!).forEach((m, g) => {
    const e = extent(m, plain.width)!;
    e.forEach((v, k) => assert.ok(Math.abs(v - plain.truth!.boxes[4 * g + k]) <= 1, `instance ${g}: ${e} vs ${[...plain.truth!.boxes.subarray(4 * g, 4 * g + 4)]}`));
  });
  const target = await prepareImage(recA, cache, 60, 200, false, true, { scaleFactor: 1.5, rng: new Rng(3) });
  const source = await prepareImage(recB, cache, 60, 200, true, true);
  const tensors = tf.memory().numTensors;
  const out = pasteInto(target, source, { picks: [0], scale: 1, dx: 0, dy: 0 });
  assert.equal(tf.memory().numTensors, tensors, 'no tensors made or left');
  const masks = out.truth!.masks as { data: Uint8Array; width: number }[];
  assert.equal(out.truth!.classes.length, masks.length);
  masks.forEach((m, k) => assert.deepEqual([...out.truth!.boxes.subarray(4 * k, 4 * k + 4)], extent(m.data, out.width)));
  assert.equal(out.truth!.classes.at(-1), 2, 'the pasted instance comes last with its class');
  // A mask target over a pasted instance's box is (nearly) all ones: the targets read the pasted masks.
  const last = masks.length - 1;
  const t = out.gt.maskTarget(last, out.truth!.boxes.subarray(4 * last, 4 * last + 4), 14);
  assert.ok(t.reduce((s, v) => s + v, 0) >= 0.9 * 196);
  assert.notDeepEqual(out.pixels, target.pixels);
});

test('copy-paste is on (0.5) in the cpu preset only, and range-checked', () => {
  for (const p of Object.values(PRESETS)) assert.equal(p.input.copyPaste, p.preset === 'cpu' ? 0.5 : 0, p.preset);
  assert.throws(() => validateRunConfig({ input: { copyPaste: 1.5 } }), /input\.copyPaste must be a probability/);
  assert.throws(() => validateRunConfig({ input: { copyPasteScale: [2, 1] } }), /input\.copyPasteScale/);
  assert.deepEqual(validateRunConfig({ input: { copyPaste: 0.5, copyPasteScale: [0.25, 2] } }).input.copyPasteScale, [0.25, 2]);
});

test('a few training steps with copy-paste on, on the Roboflow fixture: finite losses', { timeout: 600_000 }, async () => {
  const project = join(tempDir(), 'proj');
  const io = { log: () => {}, error: (l: string) => err.push(l) };
  const err: string[] = [];
  const out: string[] = [];
  assert.equal(await main(['create', project], io), 0);
  assert.equal(await main(['import-coco', project, join(FIXTURES, 'roboflow-mini')], io), 0);
  const code = await main(['train', project, '--preset', 'tiny', '--set', 'input.copyPaste=1', '--set', 'input.trainShortSides=[160]', '--set', 'input.testShortSide=160', '--set', 'input.maxSize=267',
    '--set', 'solver.evaluations=0', '--set', 'solver.trainEvalImages=0', '--iterations', '3'], { log: (l) => out.push(l), error: io.error });
  assert.equal(code, 0, err.join('\n'));
  const runId = out.join('\n').match(/run (\S+): \d+ train/)![1];
  const dir = join(project, 'runs', runId);
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).input.copyPaste, 1);
  const progress = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'progress');
  assert.ok(progress.length >= 1);
  for (const p of progress) for (const [k, v] of Object.entries(p.losses)) assert.ok(Number.isFinite(v as number), `${k} = ${v}`);
});
