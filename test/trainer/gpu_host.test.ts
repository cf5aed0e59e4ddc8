// The desktop app's GPU host, Electron-free: this Node process runs the trainer's real data-parallel
// pool whose only shard is the GPU host page (trainer/gpu_host/page_entry.ts, bundled as the app
// bundles it) in headless Chromium on SwiftShader's WebGPU. A loopback WebSocket carrying the protocol's
// structured-clone data (test/helpers/wire.ts) stands in for Electron's MessageChannelMain; inside the
// page the port is a real MessagePort handed over as the window's preload hands it. Skips (with the
// reason) without Chromium or SwiftShader. SwiftShader is software: this checks correctness, not speed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../trainer/backend/index.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import type { Sample } from '../../trainer/data/batch.ts';
import { SYNTHETIC_CATEGORIES } from '../../trainer/data/synthetic.ts';
import { MaskRcnn, buildMaskRcnnOptions } from '../../trainer/model/mask_rcnn.ts';
import { SgdMomentum } from '../../trainer/optim.ts';
import { DataParallel } from '../../trainer/parallel/data_parallel.ts';
import { RemoteShard } from '../../trainer/parallel/shards.ts';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import { readCheckpoint } from '../../trainer/checkpoint.ts';
import { resetGpuHostForTest, watchParentPort, type ParentPortLike, type PortMainLike } from '../../trainer/gpu_host/trainer_side.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import type { RemotePort } from '../../trainer/parallel/shards.ts';
import { train } from '../../trainer/train.ts';
import { syntheticSamples } from '../helpers/samples.ts';
import { tempDir } from '../helpers/tmp.ts';
import { gpuHostSkipReason, openGpuHostPage, type GpuHostPage } from '../helpers/gpu_host_page.ts';
import { decode, encode } from '../helpers/wire.ts';

const skip = gpuHostSkipReason();
if (skip) console.log(`# skipping the GPU host tests: ${skip}`);

const SIZE = 64;
let host: GpuHostPage | null = null;
const samples = (n: number, seed: number): Sample[] => syntheticSamples(n, seed, { size: SIZE, minSize: 14, flipOdd: false });

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
  host = await openGpuHostPage();
  const options = buildMaskRcnnOptions(validateRunConfig({ preset: 'tiny' }), SYNTHETIC_CATEGORIES.length);
  const model = new MaskRcnn(options);
  const local = await DataParallel.start(1, 'wasm', options);
  let remote: DataParallel | null = null;
  try {
    remote = await DataParallel.remote(new RemoteShard(await host.port()), options);
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
  }
});

/**
 * What main does for a trainer (electron/main/gpu-host.ts): one message on the trainer's parent port
 * carrying its port to the host page. Here the port is the page's bridge, seen as a MessagePortMain.
 */
function offerGpuHost(port: RemotePort): void {
  const main: PortMainLike = {
    postMessage: (m) => port.postMessage(m as Parameters<RemotePort['postMessage']>[0]),
    on: ((event: 'message' | 'close', listener: (e?: { data: unknown }) => void) => {
      if (event === 'message') port.onMessage((data) => listener({ data }));
      else port.onClose(() => listener());
    }) as PortMainLike['on'],
    start: () => {},
    close: () => port.close(),
  };
  const parent = new EventEmitter();
  resetGpuHostForTest();
  watchParentPort(parent as unknown as ParentPortLike);
  parent.emit('message', { data: { type: 'gpu-host' }, ports: [main] });
}

async function tinyRun(seed: number, iterations: number): Promise<string> {
  const dir = join(tempDir(), `run-${seed}`);
  await writeSyntheticRun(dir, {
    seed, train: 2, val: 1, width: 64, height: 64, minObjects: 1, maxObjects: 2, minSize: 16, maxSize: 30,
    config: { preset: 'tiny', backend: 'webgpu', solver: { epochs: iterations, warmupIterations: 1, checkpointEveryIterations: 2, evalEveryIterations: 0 } },
  });
  return dir;
}

test('a tiny run through the trainer\'s loop trains on the GPU host page: backend and adapter recorded, losses fall, checkpoint and resume', { skip, timeout: 600_000 }, async () => {
  await host!.reload();
  offerGpuHost(await host!.port());
  const dir = await tinyRun(3, 4);
  const events: TrainerEvent[] = [];
  const first = await train(dir, { stopAfterIteration: 2, onEvent: (e) => events.push(e) });
  assert.equal(first.type, 'done', first.type === 'failed' ? first.reason : '');
  const started = events.find((e): e is Extract<TrainerEvent, { type: 'started' }> => e.type === 'started')!;
  assert.equal(started.backend, 'webgpu');
  assert.equal((started as { gpu?: { host?: string } }).gpu?.host, 'chromium');
  assert.ok(events.some((e) => e.type === 'checkpoint' && e.kind === 'last' && e.iteration === 2), 'checkpoint at 2');
  assert.match(readFileSync(join(dir, 'log.txt'), 'utf8'), /WebGPU adapter: .*swiftshader.*in the app's GPU host/i);
  // A resumed run (a new trainer process in the app) gets a new port.
  await host!.reload();
  offerGpuHost(await host!.port());
  const end = await train(dir, { resume: true, onEvent: (e) => events.push(e) });
  assert.equal(end.type, 'done', end.type === 'failed' ? end.reason : '');
  if (end.type === 'done') assert.equal(end.iteration, 4);
  const totals = events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress').map((e) => e.losses.total);
  assert.ok(totals.length >= 2 && totals.every(Number.isFinite), `losses ${totals}`);
  assert.ok(totals[totals.length - 1] < totals[0], `loss falls: ${totals}`);
  assert.deepEqual(host!.pageErrors, []);
});

test('the GPU host going away mid-run ends the run with the reason; the last checkpoint stays intact', { skip, timeout: 600_000 }, async () => {
  await host!.reload();
  offerGpuHost(await host!.port());
  const dir = await tinyRun(5, 6);
  let reloaded: Promise<void> | null = null;
  let lastCheckpoint = -1;
  const end = await train(dir, {
    onEvent: (e) => {
      if (e.type !== 'checkpoint' || e.kind !== 'last') return;
      lastCheckpoint = e.iteration;
      // The host page closes (its window crashed or was closed) right after the first checkpoint.
      reloaded ??= host!.reload();
    },
  });
  await reloaded;
  assert.equal(end.type, 'failed');
  if (end.type !== 'failed') return;
  assert.match(end.reason, /GPU host went away.*the last checkpoint is intact/);
  const last = join(dir, 'checkpoints', 'last');
  assert.ok(existsSync(last));
  assert.ok(lastCheckpoint >= 2 && (end.iteration ?? 0) < 6, `checkpoint at ${lastCheckpoint}, failed at ${end.iteration}`);
  assert.equal(readCheckpoint(last).state.iteration, lastCheckpoint);
});

after(async () => {
  await host?.close();
});
