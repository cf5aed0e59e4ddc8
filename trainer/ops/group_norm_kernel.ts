// GroupNorm as two fused kernels (forward; backward) for backends whose tensors live in memory that
// JavaScript can index directly (WASM's heap). Composed of tfjs ops, one GroupNorm step is ~7 passes
// over the activation forward and ~11 backward, most of them broadcasting element-wise kernels, which
// tfjs' WASM backend runs through a generic index loop; here it is two passes each way, every inner
// loop contiguous over channels (statistics are accumulated per channel, in float64, then summed per
// group). `npm run bench:gn` compares both on the shapes the cpu preset runs.
//
// Forward saves x and per (image, group) mean and 1/σ; with x̂ = (x − μ)·r:
//   y  = x̂·γ + β = x·(rγ) + (β − μrγ)                          (per-channel scale and shift)
//   dx = r·(dy·γ − mean(dy·γ) − x̂·mean(dy·γ·x̂)) = A·dy + B·x + D   (per-channel A, B, D)
//   dγ = Σ dy·x̂ = r·(Σ dy·x − μ·Σ dy),  dβ = Σ dy.
// Checked against autodiff of the composed ops in test/trainer/backend_kernels.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

export const GROUP_NORM = 'FieldworkGroupNorm';
export const GROUP_NORM_GRAD = 'FieldworkGroupNormGrad';

/** Shape of one GroupNorm problem: B images of P pixels and C channels in G groups (NHWC). */
export interface GnShape {
  B: number;
  P: number;
  C: number;
  G: number;
}

/** y and stats ([B, G, 2]: mean, 1/σ) from x, γ, β. */
export function groupNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, s: GnShape, eps: number, y: Float32Array, stats: Float32Array): void {
  const { B, P, C, G } = s;
  const Cg = C / G, n = P * Cg;
  const acc = new Float64Array(C), mean = new Float64Array(C), scale = new Float64Array(C), shift = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    const base = b * P * C;
    acc.fill(0);
    for (let p = 0, o = base; p < P; p++, o += C) for (let c = 0; c < C; c++) acc[c] += x[o + c];
    for (let g = 0; g < G; g++) {
      let sum = 0;
      for (let c = g * Cg; c < (g + 1) * Cg; c++) sum += acc[c];
      for (let c = g * Cg; c < (g + 1) * Cg; c++) mean[c] = sum / n;
    }
    // Two passes (mean, then squared deviations): one pass of Σx² − n·μ² loses digits when |μ| ≫ σ.
    acc.fill(0);
    for (let p = 0, o = base; p < P; p++, o += C) {
      for (let c = 0; c < C; c++) {
        const d = x[o + c] - mean[c];
        acc[c] += d * d;
      }
    }
    for (let g = 0; g < G; g++) {
      let sq = 0;
      for (let c = g * Cg; c < (g + 1) * Cg; c++) sq += acc[c];
      const m = mean[g * Cg], r = 1 / Math.sqrt(sq / n + eps);
      stats[(b * G + g) * 2] = m;
      stats[(b * G + g) * 2 + 1] = r;
      for (let c = g * Cg; c < (g + 1) * Cg; c++) {
        scale[c] = r * gamma[c];
        shift[c] = beta[c] - m * r * gamma[c];
      }
    }
    for (let p = 0, o = base; p < P; p++, o += C) for (let c = 0; c < C; c++) y[o + c] = x[o + c] * scale[c] + shift[c];
  }
}

/** dx, dγ, dβ from dy and what the forward saved (x, stats, γ). */
export function groupNormBackward(
  dy: Float32Array, x: Float32Array, stats: Float32Array, gamma: Float32Array, s: GnShape,
  dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const { B, P, C, G } = s;
  const Cg = C / G, n = P * Cg;
  const sDy = new Float64Array(C), sDyX = new Float64Array(C), dyXhat = new Float64Array(C);
  const dg = new Float64Array(C), db = new Float64Array(C);
  const A = new Float64Array(C), Bc = new Float64Array(C), D = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    const base = b * P * C;
    sDy.fill(0);
    sDyX.fill(0);
    for (let p = 0, o = base; p < P; p++, o += C) {
      for (let c = 0; c < C; c++) {
        const d = dy[o + c];
        sDy[c] += d;
        sDyX[c] += d * x[o + c];
      }
    }
    for (let g = 0; g < G; g++) {
      const m = stats[(b * G + g) * 2], r = stats[(b * G + g) * 2 + 1];
      let a1 = 0, a2 = 0;
      for (let c = g * Cg; c < (g + 1) * Cg; c++) {
        dyXhat[c] = r * (sDyX[c] - m * sDy[c]);
        dg[c] += dyXhat[c];
        db[c] += sDy[c];
        a1 += gamma[c] * sDy[c];
        a2 += gamma[c] * dyXhat[c];
      }
      a1 /= n;
      a2 /= n;
      for (let c = g * Cg; c < (g + 1) * Cg; c++) {
        A[c] = r * gamma[c];
        Bc[c] = -r * r * a2;
        D[c] = -r * a1 + r * r * a2 * m;
      }
    }
    for (let p = 0, o = base; p < P; p++, o += C) for (let c = 0; c < C; c++) dx[o + c] = A[c] * dy[o + c] + Bc[c] * x[o + c] + D[c];
  }
  for (let c = 0; c < C; c++) {
    dgamma[c] = dg[c];
    dbeta[c] = db[c];
  }
}

/** The parts of tfjs' WASM backend the kernels use. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function shapeOf(x: TensorInfo, groups: number): GnShape {
  const [B, H, W, C] = x.shape;
  if (C % groups !== 0) throw new Error(`Error in ${GROUP_NORM}: ${C} channels not divisible by ${groups} groups`);
  return { B, P: H * W, C, G: groups };
}

function forwardKernel(args: { inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }; backend: unknown; attrs: Record<string, unknown> }): TensorInfo[] {
  const backend = args.backend as HeapBackend;
  const { x, gamma, beta } = args.inputs;
  const { groups, eps } = args.attrs as { groups: number; eps: number };
  const s = shapeOf(x, groups);
  const y = backend.makeOutput(x.shape, 'float32');
  const stats = backend.makeOutput([s.B, s.G, 2], 'float32');
  // Views after every allocation: allocating may grow (and replace) the heap's buffer.
  const f32 = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  groupNormForward(f32(x), f32(gamma), f32(beta), s, eps, f32(y), f32(stats));
  return [y, stats];
}

function backwardKernel(args: { inputs: { dy: TensorInfo; x: TensorInfo; stats: TensorInfo; gamma: TensorInfo }; backend: unknown; attrs: Record<string, unknown> }): TensorInfo[] {
  const backend = args.backend as HeapBackend;
  const { dy, x, stats, gamma } = args.inputs;
  const s = shapeOf(x, (args.attrs as { groups: number }).groups);
  const dx = backend.makeOutput(x.shape, 'float32');
  const dgamma = backend.makeOutput([s.C], 'float32');
  const dbeta = backend.makeOutput([s.C], 'float32');
  const f32 = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  groupNormBackward(f32(dy), f32(x), f32(stats), f32(gamma), s, f32(dx), f32(dgamma), f32(dbeta));
  return [dx, dgamma, dbeta];
}

/** Registers both kernels for tfjs' WASM backend (idempotent). */
export function registerGroupNormKernels(backendName = 'wasm'): void {
  if (getKernel(GROUP_NORM, backendName)) return;
  registerKernel({ kernelName: GROUP_NORM, backendName, kernelFunc: forwardKernel as unknown as KernelFunc });
  registerKernel({ kernelName: GROUP_NORM_GRAD, backendName, kernelFunc: backwardKernel as unknown as KernelFunc });
}

/** True when the active backend has the fused kernels. */
export function hasFusedGroupNorm(): boolean {
  return getKernel(GROUP_NORM, tf.getBackend()) !== undefined;
}

/** GroupNorm through the fused kernels, with its gradient (the active backend must have them). */
export function fusedGroupNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, groups: number, eps: number): tf.Tensor4D {
  const op = tf.customGrad((...args: unknown[]) => {
    const [input, g, b, save] = args as [tf.Tensor4D, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, stats] = tf.engine().runKernel(GROUP_NORM, { x: input, gamma: g, beta: b }, { groups, eps }) as unknown as tf.Tensor[];
    // save() keeps clones (sharing the data), so our own stats handle is released here.
    save([input, stats, g]);
    stats.dispose();
    return {
      value: y as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, st, gm] = saved;
        return tf.engine().runKernel(GROUP_NORM_GRAD, { dy, x: xs, stats: st, gamma: gm }, { groups }) as unknown as tf.Tensor[];
      },
    };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}
