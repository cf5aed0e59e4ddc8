// Choosing WebGPU: `auto` never takes a software adapter, and a run asked for WebGPU where no adapter
// appears trains on WASM with the reason in its log. Runs without a GPU: Vulkan is pointed at a
// driver file that does not exist, so Dawn finds no adapter, as on a machine without GPU drivers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describeAdapter, initWebGpu, isSoftwareAdapter, probeAdapter, simulateDeviceLostForTest, type AdapterInfoLike, type GpuSource } from '../../trainer/backend/webgpu.ts';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import { train } from '../../trainer/train.ts';
import { tempDir } from '../helpers/tmp.ts';
import { trainTinyWebgpuRun } from '../helpers/webgpu.ts';

process.env.VK_ICD_FILENAMES = join(tempDir(), 'no-such-driver.json');

/** A navigator.gpu stand-in whose one adapter reports `info`. */
function fakeSource(info: AdapterInfoLike | null): GpuSource {
  const adapter = info && { info, features: new Set(), limits: {} };
  return { gpu: async () => ({ gpu: { requestAdapter: async () => adapter } as unknown as GPU, host: 'chromium' }) };
}

const SOFTWARE: AdapterInfoLike[] = [
  { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true },
  { vendor: 'google', architecture: 'swiftshader', description: '' }, // a build that does not set isFallbackAdapter
  { vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
  { vendor: 'mesa', description: 'lavapipe' },
  { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' },
  { vendor: 'unknown', isFallbackAdapter: true },
];
const HARDWARE: AdapterInfoLike[] = [
  { vendor: 'nvidia', architecture: 'ada', description: 'NVIDIA GeForce RTX 4070' },
  { vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' },
  { vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7800 XT' },
  { vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) Iris(R) Xe Graphics' },
];

test('software adapters are recognised, hardware ones are not', () => {
  for (const a of SOFTWARE) assert.equal(isSoftwareAdapter(a), true, JSON.stringify(a));
  for (const a of HARDWARE) assert.equal(isSoftwareAdapter(a), false, JSON.stringify(a));
});

test('auto (allowSoftware false) never takes a software adapter; a hardware one is described', async () => {
  for (const a of SOFTWARE) {
    const r = await initWebGpu(false, fakeSource(a));
    assert.equal(r.adapter, null, JSON.stringify(a));
    if (!r.adapter) assert.match(r.reason, /auto does not train on a software adapter/);
  }
  const probe = await probeAdapter(fakeSource(HARDWARE[0]));
  assert.equal(probe.adapter?.software, false);
  assert.match(describeAdapter(probe.adapter!), /nvidia ada \(NVIDIA GeForce RTX 4070\) via Chromium's WebGPU/);
});

test('no adapter, or no navigator.gpu: a reason, not an exception', async () => {
  const none = await initWebGpu(true, fakeSource(null));
  assert.equal(none.adapter, null);
  if (!none.adapter) assert.match(none.reason, /no WebGPU adapter/);
  const missing = await initWebGpu(true, { gpu: async () => ({ gpu: null, reason: 'this page has no navigator.gpu' }) });
  assert.equal(missing.adapter, null);
});

let hasDawn = true;
try { createRequire(import.meta.url).resolve('webgpu'); } catch { hasDawn = false; }

test('a run asked for WebGPU with no adapter trains on WASM and says why in its log', async () => {
  const { dir, end, started } = await trainTinyWebgpuRun();
  assert.equal(end.type, 'done', end.type === 'failed' ? end.reason : '');
  assert.equal(started?.backend, 'wasm');
  const log = readFileSync(join(dir, 'log.txt'), 'utf8');
  const why = hasDawn ? /WebGPU not used: no WebGPU adapter .*; falling back to WASM/ : /WebGPU not used: the optional package "webgpu" .*; falling back to WASM/;
  assert.match(log, why);
});

test('a lost GPU device ends the run with its reason and leaves the last checkpoint as it was', async () => {
  const dir = join(tempDir(), 'lost');
  await writeSyntheticRun(dir, {
    seed: 5, train: 2, val: 1, width: 64, height: 64, minSize: 16, maxSize: 30,
    config: { preset: 'tiny', backend: 'wasm', solver: { epochs: 4, warmupIterations: 1, checkpointEveryIterations: 2, evalEveryIterations: 0 } },
  });
  const last = join(dir, 'checkpoints', 'last');
  let written: { mtimeMs: number; size: number } | null = null;
  const end = await train(dir, {
    onEvent: (e) => {
      if (e.type === 'checkpoint' && e.kind === 'last' && e.iteration === 2) {
        const st = statSync(last);
        written = { mtimeMs: st.mtimeMs, size: st.size };
        simulateDeviceLostForTest('the GPU device was lost (unknown): simulated driver reset');
      }
    },
  });
  simulateDeviceLostForTest(null);
  assert.equal(end.type, 'failed');
  if (end.type === 'failed') assert.match(end.reason, /simulated driver reset.*last checkpoint is intact/);
  assert.ok(written, 'a checkpoint was written before the loss');
  const st = statSync(last);
  assert.deepEqual({ mtimeMs: st.mtimeMs, size: st.size }, written, 'the last checkpoint is untouched');
  const resumed = await train(dir, { resume: true });
  assert.equal(resumed.type, 'done', resumed.type === 'failed' ? resumed.reason : '');
  if (resumed.type === 'done') assert.equal(resumed.iteration, 4);
});
