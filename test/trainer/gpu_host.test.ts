// The desktop app's GPU host, Electron-free: this Node process runs the trainer's real data-parallel
// pool whose only shard is the GPU host page (trainer/gpu_host/page_entry.ts, bundled as the app
// bundles it) in headless Chromium on SwiftShader's WebGPU. A loopback WebSocket carrying the protocol's
// structured-clone data (test/helpers/wire.ts) stands in for Electron's MessageChannelMain; inside the
// page the port is a real MessagePort handed over as the window's preload hands it. Skips (with the
// reason) without Chromium or SwiftShader. SwiftShader is software: this checks correctness, not speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import type { Sample } from '../../trainer/data/batch.ts';
import { SYNTHETIC_CATEGORIES, syntheticImage } from '../../trainer/data/synthetic.ts';
import { rleFromPolygons, rleToMask } from '../../trainer/common/rle.ts';
import { MaskRcnn, buildMaskRcnnOptions } from '../../trainer/model/mask_rcnn.ts';
import { SgdMomentum } from '../../trainer/optim.ts';
import { DataParallel } from '../../trainer/parallel/data_parallel.ts';
import { gpuHostSkipReason, openGpuHostPage } from '../helpers/gpu_host_page.ts';
import { decode, encode } from '../helpers/wire.ts';

const skip = gpuHostSkipReason();
if (skip) console.log(`# skipping the GPU host tests: ${skip}`);

const SIZE = 64;
function samples(n: number, seed: number): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const im = syntheticImage(seed, i, { width: SIZE, height: SIZE, minObjects: 1, maxObjects: 3, minSize: 14, maxSize: 28 });
    return {
      pixels: Uint8Array.from(im.pixels), height: SIZE, width: SIZE,
      truth: {
        boxes: Float32Array.from(im.objects.flatMap((o) => [o.bbox[0], o.bbox[1], o.bbox[0] + o.bbox[2], o.bbox[1] + o.bbox[3]])),
        classes: Int32Array.from(im.objects.map((o) => o.categoryId)),
        width: SIZE, height: SIZE, flip: false,
        masks: im.objects.map((o) => ({ data: rleToMask(rleFromPolygons([o.polygon], SIZE, SIZE)), height: SIZE, width: SIZE })),
      },
    };
  });
}

async function read(grads: Record<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, g] of Object.entries(grads)) out.set(k, (await g.data()) as Float32Array);
  tf.dispose(Object.values(grads));
  return out;
}

test('the wire codec round-trips the protocol\'s data as structured clone does (typed arrays bit-exact, NaN, ±Infinity, undefined)', () => {
  const m = { type: 'grads', id: 3, grads: Float32Array.from([1.5, NaN, -0, 3e-38]), parts: { total: NaN, cls: Infinity, box: -Infinity, mask: 0.25 },
    samples: [{ pixels: Uint8Array.from([0, 255, 7]), classes: Int32Array.from([-1, 2]), flip: true, crop: undefined, masks: [] }], weights: undefined, s: 'é' };
  const back = decode(encode(m));
  assert.deepEqual(back, structuredClone(m));
  const g = (back as { grads: Float32Array }).grads;
  assert.ok(g instanceof Float32Array && Object.is(g[2], -0) && g[3] === m.grads[3]);
  assert.throws(() => encode({ f: () => 1 }), /not structured-clone data/);
});

test('a pool whose only shard is the GPU host page: its gradients equal this thread\'s WASM ones, losses fall, tensors flat on both sides', { skip, timeout: 600_000 }, async () => {
  await initBackend('wasm');
  const host = await openGpuHostPage();
  const options = buildMaskRcnnOptions(validateRunConfig({ preset: 'tiny' }), SYNTHETIC_CATEGORIES.length);
  const model = new MaskRcnn(options);
  const local = await DataParallel.start(1, 'wasm', options);
  let remote: DataParallel | null = null;
  try {
    remote = await DataParallel.remote(await host.port(), options);
    assert.equal(remote.shards, 1);
    assert.equal(remote.remoteReady?.backend, 'webgpu');
    assert.equal(remote.remoteReady?.adapter?.host, 'chromium');
    assert.equal(remote.remoteReady?.adapter?.software, true, JSON.stringify(remote.remoteReady?.adapter));

    // Same weights (the pool sends this thread's), same samples, same seed.
    const batch = samples(2, 11);
    const div = validateRunConfig({ preset: 'tiny' }).input.sizeDivisibility;
    const want = await local.gradients(model, batch, div, 7);
    const got = await remote.gradients(model, batch, div, 7);
    assert.ok(Math.abs(got.parts.total - want.parts.total) < 1e-3 * (1 + Math.abs(want.parts.total)), `loss ${got.parts.total} (page) vs ${want.parts.total} (wasm)`);
    const w = await read(want.grads), g = await read(got.grads);
    assert.deepEqual([...g.keys()].sort(), [...w.keys()].sort());
    // Per parameter, relative L2 error (float32 sums in another order through ~20 layers; as
    // test/trainer/webgpu.test.ts compares a whole gradient).
    for (const [k, wv] of w) {
      const gv = g.get(k)!;
      let d2 = 0, w2 = 0;
      for (let i = 0; i < wv.length; i++) { d2 += (gv[i] - wv[i]) ** 2; w2 += wv[i] ** 2; }
      assert.ok(Math.sqrt(d2) <= 2e-2 * Math.sqrt(w2) + 1e-6, `d loss / d ${k}: relative L2 error ${Math.sqrt(d2 / Math.max(w2, 1e-30))}`);
    }

    // A few SGD steps through the page: the optimiser runs here, on the averaged (single) shard.
    const opt = new SgdMomentum(model.store, 0.9, 1e-4);
    const losses: number[] = [], here: number[] = [], there: number[] = [];
    for (let i = 0; i < 3; i++) {
      const l = await remote.trainStep(model, opt, batch, div, 0.01, 100 + i, 10);
      losses.push(l.total);
      here.push(tf.memory().numTensors);
      there.push((await remote.workerTensors())[0]);
    }
    opt.dispose();
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0], `loss falls: ${losses}`);
    assert.equal(new Set(here.slice(1)).size, 1, `tensors in Node per step ${here}`);
    assert.equal(new Set(there.slice(1)).size, 1, `tensors in the page per step ${there}`);
    // Inference through the page too (evaluation and predictions use it): one result per image.
    const dets = await remote.detect(model, batch, div);
    assert.equal(dets.length, batch.length);
    assert.deepEqual(host.pageErrors, []);
  } finally {
    await remote?.close();
    await local.close();
    model.dispose();
    await host.close();
  }
});
