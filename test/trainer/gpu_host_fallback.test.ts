// The trainer's choice about the app's GPU host (trainer/gpu_host/trainer_side.ts), without a browser:
// no parent port (the CLI) changes nothing; a host that is unavailable, does not start or only has a
// software adapter under `auto` means no WebGPU, with the reason; a run asked for WebGPU whose host is
// unavailable trains on WASM and says why in its log. Vulkan is pointed at a missing driver file, so
// in-process Dawn finds no adapter either, as on a machine without GPU drivers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuAdapterRecord } from '../../trainer/backend/webgpu.ts';
import { rleFromPolygons, rleToMask } from '../../trainer/common/rle.ts';
import { connectGpuHost, resetGpuHostForTest, watchParentPort, type ParentPortLike, type PortMainLike } from '../../trainer/gpu_host/trainer_side.ts';
import type { RemotePort } from '../../trainer/parallel/shards.ts';
import { MessageChannel } from 'node:worker_threads';
import { initBackend } from '../../trainer/backend/index.ts';
import { GpuDeviceLostError } from '../../trainer/backend/webgpu.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import { SYNTHETIC_CATEGORIES, syntheticImage } from '../../trainer/data/synthetic.ts';
import { MaskRcnn, buildMaskRcnnOptions } from '../../trainer/model/mask_rcnn.ts';
import { DataParallel } from '../../trainer/parallel/data_parallel.ts';
import { SgdMomentum } from '../../trainer/optim.ts';
import type { FromWorker, ToWorker } from '../../trainer/parallel/messages.ts';
import { serveShard } from '../../trainer/parallel/shard_server.ts';
import { RemoteShard } from '../../trainer/parallel/shards.ts';
import { tempDir } from '../helpers/tmp.ts';
import { trainTinyWebgpuRun } from '../helpers/webgpu.ts';

process.env.VK_ICD_FILENAMES = join(tempDir(), 'no-such-driver.json');

const SWIFTSHADER: GpuAdapterRecord = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader driver 5.0.0', software: true, host: 'chromium' };
const NVIDIA: GpuAdapterRecord = { vendor: 'nvidia', architecture: 'ada', device: '', description: 'NVIDIA GeForce RTX 4070', software: false, host: 'chromium' };

/** A MessagePortMain stand-in for a host that answers `hello` with `answer` (or never, when null). */
function fakeHostPort(answer: FromWorker | null): PortMainLike & { closed: boolean } {
  const ev = new EventEmitter();
  const port = {
    closed: false,
    postMessage(m: unknown) {
      if ((m as { type: string }).type === 'hello' && answer) setImmediate(() => ev.emit('message', { data: answer }));
    },
    on(event: string, listener: (...a: unknown[]) => void) { ev.on(event, listener); return port; },
    start() {},
    close() { port.closed = true; },
  };
  return port as PortMainLike & { closed: boolean };
}

function offer(data: unknown, ports: PortMainLike[] = []): void {
  const parent = new EventEmitter();
  resetGpuHostForTest();
  watchParentPort(parent as unknown as ParentPortLike);
  parent.emit('message', { data, ports });
}

test('no parent port (the CLI), or a run not asking for WebGPU: the GPU host is not involved', async () => {
  resetGpuHostForTest();
  assert.equal(await connectGpuHost('webgpu'), null);
  offer({ type: 'gpu-host' }, [fakeHostPort({ type: 'ready', backend: 'webgpu', adapter: NVIDIA })]);
  assert.equal(await connectGpuHost('wasm'), null);
  assert.equal(await connectGpuHost('cpu'), null);
});

test('a hardware adapter is taken by auto and webgpu; a software one only by webgpu', async () => {
  for (const choice of ['auto', 'webgpu'] as const) {
    offer({ type: 'gpu-host' }, [fakeHostPort({ type: 'ready', backend: 'webgpu', adapter: NVIDIA })]);
    const r = await connectGpuHost(choice);
    assert.ok(r && 'shard' in r, choice);
    if (r && 'shard' in r) { assert.equal(r.adapter.description, NVIDIA.description); await r.shard.close(); }
  }
  const soft = fakeHostPort({ type: 'ready', backend: 'webgpu', adapter: SWIFTSHADER });
  offer({ type: 'gpu-host' }, [soft]);
  const auto = await connectGpuHost('auto');
  assert.ok(auto && 'noGpu' in auto);
  if (auto && 'noGpu' in auto) assert.match(auto.reason, /swiftshader.*auto does not train on a software adapter/i);
  assert.equal(soft.closed, true, 'the refused port is closed');
  offer({ type: 'gpu-host' }, [fakeHostPort({ type: 'ready', backend: 'webgpu', adapter: SWIFTSHADER })]);
  const forced = await connectGpuHost('webgpu');
  assert.ok(forced && 'shard' in forced);
  if (forced && 'shard' in forced) await forced.shard.close();
});

test('a host that is unavailable, fails to start WebGPU, or never answers: no WebGPU, with the reason', async () => {
  offer({ type: 'gpu-host-unavailable', reason: 'the GPU host window did not load' });
  const unavailable = await connectGpuHost('webgpu');
  assert.ok(unavailable && 'noGpu' in unavailable);
  if (unavailable && 'noGpu' in unavailable) {
    assert.match(unavailable.reason, /GPU host is unavailable: the GPU host window did not load/);
    const viaSource = await unavailable.noGpu.gpu();
    assert.equal(viaSource.gpu, null);
  }
  offer({ type: 'gpu-host' }, [fakeHostPort({ type: 'failed', message: 'no WebGPU in the GPU host: no WebGPU adapter' })]);
  const failed = await connectGpuHost('webgpu');
  assert.ok(failed && 'noGpu' in failed);
  if (failed && 'noGpu' in failed) assert.match(failed.reason, /could not start: no WebGPU in the GPU host: no WebGPU adapter/);
  offer({ type: 'gpu-host' }, [fakeHostPort(null)]);
  const silent = await connectGpuHost('webgpu', 200);
  assert.ok(silent && 'noGpu' in silent);
  if (silent && 'noGpu' in silent) assert.match(silent.reason, /did not start WebGPU within/);
  const parent = new EventEmitter();
  resetGpuHostForTest();
  watchParentPort(parent as unknown as ParentPortLike);
  const noOffer = await connectGpuHost('auto', 200);
  assert.ok(noOffer && 'noGpu' in noOffer);
  if (noOffer && 'noGpu' in noOffer) assert.match(noOffer.reason, /sent no port within/);
});

test('a run asked for WebGPU whose GPU host is unavailable trains on WASM and says why in its log', async () => {
  offer({ type: 'gpu-host-unavailable', reason: 'the GPU host window did not load' });
  const { dir, end, started } = await trainTinyWebgpuRun();
  assert.equal(end.type, 'done', end.type === 'failed' ? end.reason : '');
  assert.equal(started?.backend, 'wasm');
  assert.match(readFileSync(join(dir, 'log.txt'), 'utf8'), /WebGPU not used: the app's GPU host is unavailable: the GPU host window did not load; falling back to WASM/);
});

test('a device lost on the host fails the step in flight with its reason, and every later one (the step is not applied)', async () => {
  // The shard server and a RemoteShard over an in-memory MessageChannel: the same code as the page
  // and the trainer, on WASM, with a device that is "lost" once the first step has been answered.
  // One thread holds one model (tfjs variable names are global), so both sides share it here.
  await initBackend('wasm');
  const c = validateRunConfig({ preset: 'tiny' });
  const options = buildMaskRcnnOptions(c, SYNTHETIC_CATEGORIES.length);
  const model = new MaskRcnn(options);
  const { port1, port2 } = new MessageChannel();
  let lost: string | null = null;
  serveShard({ postMessage: (m, t = []) => port1.postMessage(m, t), onMessage: (h) => port1.on('message', (m: ToWorker) => h(m)) }, {
    backend: async () => ({ backend: 'webgpu', adapter: NVIDIA, wasmThreads: () => 1, deviceLost: () => lost }),
    model: () => model,
  });
  const remote: RemotePort = { postMessage: (m) => port2.postMessage(m), onMessage: (h) => port2.on('message', (m: FromWorker) => h(m)), onClose: (h) => port2.on('close', h), close: () => port2.close() };
  const pool = await DataParallel.remote(new RemoteShard(remote), options);
  const im = syntheticImage(1, 0, { width: 64, height: 64, minObjects: 1, maxObjects: 1, minSize: 16, maxSize: 24 });
  const o = im.objects[0];
  const sample = {
    pixels: Uint8Array.from(im.pixels), height: 64, width: 64,
    truth: { boxes: Float32Array.from([o.bbox[0], o.bbox[1], o.bbox[0] + o.bbox[2], o.bbox[1] + o.bbox[3]]), classes: Int32Array.from([o.categoryId]), width: 64, height: 64, flip: false, masks: [{ data: rleToMask(rleFromPolygons([o.polygon], 64, 64)), height: 64, width: 64 }] },
  };
  try {
    assert.equal(pool.remoteReady?.adapter?.description, NVIDIA.description);
    const ok = await pool.gradients(model, [sample], c.input.sizeDivisibility, 1);
    assert.ok(Number.isFinite(ok.parts.total));
    for (const g of Object.values(ok.grads)) g.dispose();
    lost = 'the GPU device was lost (unknown): device reset';
    const before = model.store.packed();
    const opt = new SgdMomentum(model.store, 0.9, 1e-4);
    await assert.rejects(pool.trainStep(model, opt, [sample], c.input.sizeDivisibility, 0.01, 2, 10), (e: Error) => e instanceof GpuDeviceLostError && /device reset; the last checkpoint is intact/.test(e.message));
    await assert.rejects(pool.gradients(model, [sample], c.input.sizeDivisibility, 3), GpuDeviceLostError);
    assert.deepEqual(model.store.packed(), before, 'the failed step changed no weight');
    opt.dispose();
  } finally {
    await pool.close();
    port1.close();
    model.dispose();
  }
});
