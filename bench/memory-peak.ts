// Peak memory of one training step on a CPU backend, for calibrating trainer/data/memory_estimate.ts:
//   npx tsx bench/memory-peak.ts [--backend wasm] [--preset cpu] [--size 320] [--ims 1] [--set key=value ...]
// Prints one JSON line: tfjs' peak tensor bytes over the second step (tf.profile), the WASM heap's
// size after it (the heap only grows), the process RSS, and the estimate for the same config. One
// config per process: a WASM heap never shrinks, so a second config would read the first one's.
import * as tf from '@tensorflow/tfjs-core';
import { syntheticStep } from './synthetic-step.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const sets: Record<string, unknown> = {};
args.forEach((a, i) => {
  if (a !== '--set') return;
  const [k, v] = args[i + 1].split('=');
  let node = sets as Record<string, unknown>;
  const parts = k.split('.');
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = JSON.parse(v);
});

const { initBackend } = await import('../trainer/backend/index.ts');
const { estimateTrainingBytes } = await import('../trainer/data/memory_estimate.ts');

const backend = await initBackend(opt('--backend', 'wasm') as 'wasm');
const size = Number(opt('--size', '320')), B = Number(opt('--ims', '1'));
const { config: c, step } = await syntheticStep({ ...sets, preset: opt('--preset', 'cpu'), solver: { imsPerBatch: B }, input: { ...(sets.input as object), trainShortSides: [size], testShortSide: size, maxSize: Math.max(size, 267) } }, size, B);
const t0 = performance.now();
await step(0);
const firstMs = performance.now() - t0;
const info = await tf.profile(() => step(1));
const heap = backend === 'wasm' ? ((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength) : null;
const est = estimateTrainingBytes(c, B);
console.log(JSON.stringify({
  backend, preset: c.preset, size, ims: B, peakBytes: info.peakBytes, heapBytes: heap, rssBytes: process.memoryUsage().rss,
  estimateBytes: est.totalBytes, activations: est.activations, spatial: est.spatial, roi: est.roi, parameters: est.parameters, ratio: Number((info.peakBytes / est.totalBytes).toFixed(3)), firstStepSeconds: Number((firstMs / 1000).toFixed(1)),
}));
