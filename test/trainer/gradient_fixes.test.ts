// The nearest-neighbour upsampling gradient (the FPN's top-down path) against its definition — each
// input pixel gets the sum of dy over the output pixels copied from it — on the pure-JS and WASM
// backends, batches of 1 and 2 (tfjs-backend-cpu's own kernel is wrong from batch 2:
// trainer/backend/gradient_fixes.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, useBackendForTest } from '../../trainer/backend/index.ts';

await initBackend('cpu');

for (const backend of ['cpu', 'wasm'] as const) {
  test(`nearest upsampling gradient on ${backend} equals its definition, batch 1 and 2`, async () => {
    await useBackendForTest(backend);
    for (const [b, h, w, c, H, W] of [[1, 4, 4, 3, 8, 8], [2, 2, 2, 16, 4, 4], [2, 3, 5, 2, 6, 10], [3, 1, 1, 4, 2, 2]]) {
      const dyv = Float32Array.from({ length: b * H * W * c }, (_, i) => Math.cos(i * 0.37));
      const want = new Float32Array(b * h * w * c);
      for (let n = 0; n < b; n++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let k = 0; k < c; k++) {
        want[((n * h + Math.floor((y * h) / H)) * w + Math.floor((x * w) / W)) * c + k] += dyv[((n * H + y) * W + x) * c + k];
      }
      const input = tf.zeros([b, h, w, c]);
      const dy = tf.tensor(dyv, [b, H, W, c]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [H, W]), dy)))(input);
      const got = (await g.data()) as Float32Array;
      tf.dispose([input, dy, g]);
      let maxErr = 0;
      for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      assert.ok(maxErr < 1e-5, `${backend} [${b},${h},${w},${c}] → ${H}×${W}: max error ${maxErr}`);
    }
  });
}
