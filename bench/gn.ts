// GroupNorm on WASM: the fused kernels (trainer/ops/group_norm_kernel.ts) against the composed tfjs
// ops they replace, in one process, alternating, medians.
//   npm run bench:gn -- [--size 320] [--ims 4] [--steps 5] [--reps 7]
// Part 1: forward + backward of one GroupNorm at the shapes the cpu preset runs at --size.
// Part 2: whole training steps (cpu preset, one thread, synthetic batch) with and without them.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { syntheticStep } from './synthetic-step.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : Number(def);
};
const size = opt('--size', '320'), B = opt('--ims', '4'), steps = opt('--steps', '5'), reps = opt('--reps', '7');

const { initBackend } = await import('../trainer/backend/index.ts');
const { GROUP_NORM, GROUP_NORM_GRAD, registerGroupNormKernels } = await import('../trainer/ops/group_norm_kernel.ts');
const { groupNorm } = await import('../trainer/model/layers.ts');
await initBackend('wasm');

const fused = (on: boolean) => {
  if (on) registerGroupNormKernels('wasm');
  else for (const k of [GROUP_NORM, GROUP_NORM_GRAD]) if (tf.getKernel(k, 'wasm')) tf.unregisterKernel(k, 'wasm');
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

console.log(`GroupNorm on WASM, fused vs composed; load ${load()}`);
const s = size / 4;
const shapes: [number, number, number, number, number][] = [
  [B, size / 2, size / 2, 16, 8], [B, s, s, 16, 8], [B, s, s, 64, 32], [B, s / 2, s / 2, 64, 32], [B, s / 4, s / 4, 64, 32], [256, 7, 7, 64, 32], [21, 14, 14, 64, 32],
];
for (const [b, h, w, c, g] of shapes) {
  const x = tf.randomNormal([b, h, w, c], 0.5, 2) as tf.Tensor4D;
  const gamma = tf.variable(tf.randomNormal([c], 1, 0.1)), beta = tf.variable(tf.zeros([c]));
  const run = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(groupNorm(x, { gamma, beta, groups: g }, 1e-5)) as tf.Scalar, [gamma, beta]);
    tf.dispose([value, ...Object.values(grads)]);
  };
  const times = { fused: [] as number[], composed: [] as number[] };
  for (let r = 0; r < reps + 1; r++) {
    for (const on of [true, false]) {
      fused(on);
      const t0 = performance.now();
      run();
      if (r > 0) times[on ? 'fused' : 'composed'].push(performance.now() - t0);
    }
  }
  const f = median(times.fused), cm = median(times.composed);
  console.log(`  ${[b, h, w, c].join('×')} G${g}: composed ${cm.toFixed(1)} ms, fused ${f.toFixed(1)} ms (${(cm / f).toFixed(2)}×)`);
  tf.dispose([x, gamma, beta]);
}

fused(true);
const { step } = await syntheticStep({ preset: 'cpu', solver: { imsPerBatch: B }, input: { trainShortSides: [size], testShortSide: size, maxSize: Math.max(size, Math.round((size * 5) / 3)) } }, size, B);
for (let it = 0; it < 2; it++) await step(it);
const stepTimes = { fused: [] as number[], composed: [] as number[] };
for (let it = 0; it < steps; it++) {
  for (const on of [true, false]) {
    fused(on);
    const t0 = performance.now();
    await step(10 + it);
    stepTimes[on ? 'fused' : 'composed'].push(performance.now() - t0);
  }
}
const f = median(stepTimes.fused), cm = median(stepTimes.composed);
console.log(`train step, cpu preset ${size} px ×${B}, one thread (medians of ${steps}): composed ${cm.toFixed(0)} ms (${((B * 1000) / cm).toFixed(2)} img/s), fused ${f.toFixed(0)} ms (${((B * 1000) / f).toFixed(2)} img/s) → ${(cm / f).toFixed(2)}×; load ${load()}`);
