// Gradient checks of the kernels trainer/backend registers for WASM: every gradient computed on WASM
// (with our Conv2DBackpropFilter / Conv2DBackpropInput / UnsortedSegmentSum) must equal tfjs autodiff
// on the pure-JS CPU backend (its own reference kernels). Also RoIAlign's gradient against finite
// differences, and wasmDir().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, useBackendForTest, wasmDir } from '../../trainer/backend/index.ts';
import { Rng } from '../../trainer/common/rng.ts';
import { flattenLevels, planRoiAlign, roiAlign } from '../../trainer/ops/roi_align.ts';
import { groupNorm } from '../../trainer/model/layers.ts';

await initBackend('cpu');

function randn(shape: number[], seed: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal());
}

/** Runs f on a backend and returns the gradients w.r.t. its inputs as plain arrays. */
async function gradsOn(backend: 'cpu' | 'wasm', inputs: { data: number[]; shape: number[] }[], f: (...xs: tf.Tensor[]) => tf.Scalar): Promise<Float32Array[]> {
  await useBackendForTest(backend);
  const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
  // A fixed random projection makes the scalar sensitive to every output element.
  const g = tf.grads((...a: tf.Tensor[]) => f(...a));
  const out = g(xs);
  const arrays = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...xs, ...out]);
  return arrays;
}

function assertClose(got: Float32Array, want: Float32Array, what: string, tol = 2e-4): void {
  assert.equal(got.length, want.length, what);
  let maxErr = 0;
  for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  assert.ok(maxErr < tol, `${what}: max relative error ${maxErr}`);
}

const projected = (y: tf.Tensor, seed: number) => tf.sum(tf.mul(y, tf.tensor(randn(y.shape, seed), y.shape))) as tf.Scalar;

const convCases: { name: string; x: number[]; w: number[]; stride: number; pad: 'same' | 'valid' | number }[] = [
  { name: '3×3 s1 pad 1', x: [2, 9, 9, 3], w: [3, 3, 3, 5], stride: 1, pad: 1 },
  { name: '3×3 s2 pad 1', x: [2, 10, 10, 4], w: [3, 3, 4, 6], stride: 2, pad: 1 },
  { name: '1×1 s2 shortcut', x: [1, 8, 8, 4], w: [1, 1, 4, 8], stride: 2, pad: 0 },
  { name: '7×7 s2 stem pad 3', x: [1, 16, 16, 3], w: [7, 7, 3, 4], stride: 2, pad: 3 },
  { name: '3×3 s2 same (odd)', x: [1, 9, 9, 2], w: [3, 3, 2, 3], stride: 2, pad: 'same' },
  { name: '3×3 s2 valid', x: [1, 9, 9, 2], w: [3, 3, 2, 3], stride: 2, pad: 'valid' },
  { name: '3×3 s2 valid, dropped edge', x: [1, 10, 10, 2], w: [3, 3, 2, 3], stride: 2, pad: 'valid' },
  // Many small maps (RoI heads) take the im2col route.
  { name: '3×3 s1 RoI batch (im2col route)', x: [12, 4, 4, 5], w: [3, 3, 5, 6], stride: 1, pad: 1 },
  { name: '2×2 s2 RoI batch (im2col route)', x: [20, 4, 4, 3], w: [2, 2, 3, 4], stride: 2, pad: 0 },
];

for (const c of convCases) {
  test(`conv2d gradients on WASM equal CPU autodiff: ${c.name}`, async () => {
    const inputs = [{ data: randn(c.x, 1), shape: c.x }, { data: randn(c.w, 2), shape: c.w }];
    const f = (x: tf.Tensor, w: tf.Tensor) => projected(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), 3);
    const want = await gradsOn('cpu', inputs, f);
    const got = await gradsOn('wasm', inputs, f);
    assertClose(got[0], want[0], 'dx');
    assertClose(got[1], want[1], 'dw');
  });
}

test('conv2dTranspose (mask-head deconv) forward and gradients on WASM equal CPU', async () => {
  const inputs = [{ data: randn([2, 5, 5, 6], 4), shape: [2, 5, 5, 6] }, { data: randn([2, 2, 4, 6], 5), shape: [2, 2, 4, 6] }];
  const f = (x: tf.Tensor, w: tf.Tensor) => projected(tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 10, 10, 4], 2, 'valid'), 6);
  const want = await gradsOn('cpu', inputs, f);
  const got = await gradsOn('wasm', inputs, f);
  assertClose(got[0], want[0], 'dx');
  assertClose(got[1], want[1], 'dw');
  // The forward value itself (Conv2DBackpropInput; stride = kernel takes the matmul route).
  const forward = async (backend: 'cpu' | 'wasm') => {
    await useBackendForTest(backend);
    return tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(inputs[0].data, [2, 5, 5, 6]), tf.tensor4d(inputs[1].data, [2, 2, 4, 6]), [2, 10, 10, 4], 2, 'valid').dataSync() as Float32Array);
  };
  assertClose(await forward('wasm'), await forward('cpu'), 'y');
});

test('matMul with transposes (fc gradients) on WASM equals CPU', async () => {
  const inputs = [{ data: randn([6, 9], 11), shape: [6, 9] }, { data: randn([9, 4], 12), shape: [9, 4] }];
  const f = (a: tf.Tensor, b: tf.Tensor) => projected(tf.add(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), tf.transpose(tf.matMul(b as tf.Tensor2D, a as tf.Tensor2D, true, true))), 13);
  const want = await gradsOn('cpu', inputs, f);
  const got = await gradsOn('wasm', inputs, f);
  assertClose(got[0], want[0], 'da');
  assertClose(got[1], want[1], 'db');
});

test('gather gradient (UnsortedSegmentSum) on WASM equals CPU, repeated indices included', async () => {
  const idx = [0, 3, 3, 7, 1, 0, 9];
  const inputs = [{ data: randn([10, 5], 7), shape: [10, 5] }];
  const f = (x: tf.Tensor) => projected(tf.gather(x, tf.tensor1d(idx, 'int32')), 8);
  assertClose((await gradsOn('wasm', inputs, f))[0], (await gradsOn('cpu', inputs, f))[0], 'dtable');
});

test('RoIAlign gradient equals finite differences and matches across backends', async () => {
  const shape = [1, 6, 6, 2];
  const data = randn(shape, 9);
  const boxes = Float32Array.from([3, 2, 17, 20, 0, 0, 24, 24]);
  const f = (x: tf.Tensor) => {
    const { table, levels } = flattenLevels([x as tf.Tensor4D], [4]);
    return projected(roiAlign(table, planRoiAlign(boxes, [0, 0], [0, 0], levels, { outputSize: 3, samplingRatio: 2 })), 10);
  };
  const cpu = (await gradsOn('cpu', [{ data, shape }], f))[0];
  const wasm = (await gradsOn('wasm', [{ data, shape }], f))[0];
  assertClose(wasm, cpu, 'wasm vs cpu');
  await useBackendForTest('cpu');
  const eps = 1e-2;
  for (const i of [0, 7, 20, 33, 50, 71]) {
    const plus = data.slice(), minus = data.slice();
    plus[i] += eps; minus[i] -= eps;
    const fd = (tf.tidy(() => f(tf.tensor(plus, shape)).dataSync()[0]) - tf.tidy(() => f(tf.tensor(minus, shape)).dataSync()[0])) / (2 * eps);
    assert.ok(Math.abs(fd - cpu[i]) < 1e-2 * (1 + Math.abs(fd)), `element ${i}: finite difference ${fd} vs autodiff ${cpu[i]}`);
  }
});

// Shapes: channels per group 2, 1 (G = C) and all (G = 1); one pixel; a mean far from 0 (the
// two-pass variance); many small maps (RoI heads).
const gnCases: { name: string; shape: [number, number, number, number]; groups: number; offset: number }[] = [
  { name: '2 channels per group', shape: [2, 5, 4, 6], groups: 3, offset: 1 },
  { name: 'one channel per group', shape: [1, 3, 3, 4], groups: 4, offset: 0 },
  { name: 'one group', shape: [2, 4, 2, 5], groups: 1, offset: -3 },
  { name: 'one pixel', shape: [3, 1, 1, 8], groups: 2, offset: 0 },
  { name: 'mean 40σ from zero', shape: [1, 6, 6, 4], groups: 2, offset: 40 },
  { name: 'many small maps', shape: [9, 3, 3, 8], groups: 4, offset: 0.5 },
];

for (const c of gnCases) {
  test(`GroupNorm (fused on WASM, custom gradient on CPU) equals autodiff of the composed ops: ${c.name}`, async () => {
    const { shape, groups } = c;
    const [B, H, W, C] = shape;
    const inputs = [{ data: randn(shape, 14).map((v) => 2 * v + c.offset), shape }, { data: randn([C], 15), shape: [C] }, { data: randn([C], 16), shape: [C] }];
    const composedY = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const xg = tf.reshape(x, [B, H * W, groups, C / groups]);
      const { mean, variance } = tf.moments(xg, [1, 3], true);
      return tf.add(tf.mul(tf.reshape(tf.div(tf.sub(xg, mean), tf.sqrt(tf.add(variance, 1e-5))), shape), g), b);
    };
    const ours = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => groupNorm(x as tf.Tensor4D, { gamma: g as tf.Variable, beta: b as tf.Variable, groups }, 1e-5);
    const want = await gradsOn('cpu', inputs, (x, g, b) => projected(composedY(x, g, b), 17));
    await useBackendForTest('cpu');
    const wantY = tf.tidy(() => composedY(...(inputs.map((i) => tf.tensor(i.data, i.shape)) as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync() as Float32Array);
    for (const backend of ['cpu', 'wasm'] as const) {
      const got = await gradsOn(backend, inputs, (x, g, b) => projected(ours(x, g, b), 17));
      ['dx', 'dgamma', 'dbeta'].forEach((n, i) => assertClose(got[i], want[i], `${backend} ${n}`, 1e-3));
      const y = tf.tidy(() => ours(...(inputs.map((i) => tf.tensor(i.data, i.shape)) as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync() as Float32Array);
      assertClose(y, wantY, `${backend} y`, 1e-4);
    }
  });
}

test('GroupNorm on WASM takes the fused kernels, and a forward + backward leaves no tensor behind', async () => {
  await useBackendForTest('wasm');
  const { hasFusedGroupNorm } = await import('../../trainer/ops/group_norm_kernel.ts');
  assert.equal(hasFusedGroupNorm(), true);
  const x = tf.randomNormal([2, 6, 6, 8]) as tf.Tensor4D;
  const gamma = tf.variable(tf.ones([8])), beta = tf.variable(tf.zeros([8]));
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(groupNorm(x, { gamma, beta, groups: 4 }, 1e-5))) as tf.Scalar, [gamma, beta]);
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, gamma, beta]);
});

test('wasmDir() points at the tfjs WASM binaries and honours FIELDWORK_WASM_DIR', () => {
  assert.ok(existsSync(join(wasmDir(), 'tfjs-backend-wasm-simd.wasm')), wasmDir());
  const old = process.env.FIELDWORK_WASM_DIR;
  process.env.FIELDWORK_WASM_DIR = '/opt/app/resources/wasm';
  try {
    assert.equal(wasmDir(), '/opt/app/resources/wasm/');
  } finally {
    if (old === undefined) delete process.env.FIELDWORK_WASM_DIR; else process.env.FIELDWORK_WASM_DIR = old;
  }
});
