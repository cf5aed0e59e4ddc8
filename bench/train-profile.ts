// Where a training step's time goes: wraps every kernel of the active backend with a timer and
// prints the per-kernel totals (ms per step, share of the step) after warm-up steps.
//   npx tsx bench/train-profile.ts [--backend wasm] [--preset cpu] [--size 160] [--ims 4] [--steps 4] [--mode train|predict] [--by-shape]
// Kernel time is wall time inside the kernel function (the WASM backend is synchronous, so this is
// exact); "outside kernels" is everything else (JS planning: RPN targets/proposals, RoIAlign
// plans, losses bookkeeping, autodiff bookkeeping).
import { getKernelsForBackend, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { syntheticStep } from './synthetic-step.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};

const { initBackend } = await import('../trainer/backend/index.ts');

const backend = await initBackend(opt('--backend', 'wasm') as 'wasm');
const size = Number(opt('--size', '160')), B = Number(opt('--ims', '4')), steps = Number(opt('--steps', '4'));
const predict = opt('--mode', 'train') === 'predict';
const { config: c, step: oneStep } = await syntheticStep({ preset: opt('--preset', 'cpu'), solver: { imsPerBatch: B }, input: { trainShortSides: [size], testShortSide: size, maxSize: Math.max(size, Math.round((size * 5) / 3)) } }, size, B);
const step = (it: number) => oneStep(it, predict);
for (let it = 0; it < 2; it++) await step(it);

// Wrap every kernel of the backend with a timer (after warm-up, so setup has run). --by-shape
// splits each kernel's total by its input shapes.
const byShape = args.includes('--by-shape');
const totals = new Map<string, { ms: number; calls: number }>();
let depth = 0;
const originals: KernelConfig[] = [];
for (const k of getKernelsForBackend(backend === 'tensorflow-gpu' ? 'tensorflow' : backend)) {
  originals.push(k);
  const inner = k.kernelFunc;
  const timed: KernelFunc = (a) => {
    const t0 = performance.now();
    depth++;
    try {
      return inner(a);
    } finally {
      depth--;
      // Nested kernels (ours call the backend's own) count once, in the outermost.
      if (depth === 0) {
        const key = byShape ? `${k.kernelName} ${Object.values(a.inputs).map((t) => (t as { shape: number[] }).shape.join('×')).join(' ')}` : k.kernelName;
        const e = totals.get(key) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0; e.calls++;
        totals.set(key, e);
      }
    }
  };
  unregisterKernel(k.kernelName, k.backendName);
  registerKernel({ ...k, kernelFunc: timed });
}
const t0 = performance.now();
for (let it = 0; it < steps; it++) await step(100 + it);
const stepMs = (performance.now() - t0) / steps;
const rows = [...totals].map(([name, e]) => ({ name, ms: e.ms / steps, calls: e.calls / steps })).sort((a, b) => b.ms - a.ms);
const inKernels = rows.reduce((s, r) => s + r.ms, 0);
console.log(`${backend} ${c.preset} ${size}px ×${B}: ${stepMs.toFixed(0)} ms/step (${(B * 1000 / stepMs).toFixed(2)} img/s); kernels ${inKernels.toFixed(0)} ms, outside kernels ${(stepMs - inKernels).toFixed(0)} ms; load ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`);
for (const r of rows.slice(0, Number(opt('--top', '25')))) console.log(`${r.name.padEnd(24)} ${r.ms.toFixed(1).padStart(7)} ms ${((100 * r.ms) / stepMs).toFixed(1).padStart(5)}%  ${r.calls.toFixed(0).padStart(5)} calls`);
