// A kernel bug below our model, fixed at its gradient: tfjs-backend-cpu 4.22's
// ResizeNearestNeighborGrad reads dy with the *input's* batch stride (`batchOffset` for both), so
// from batch 2 on every image but the first gets another image's gradient — which corrupts every
// gradient below the FPN's top-down path on the pure-JS backend. Found by comparing WebGPU with it
// (test/trainer/webgpu.test.ts); WASM and WebGPU compute it correctly (test/trainer/gradient_fixes.test.ts).
// The gradient below runs that kernel one image at a time on the pure-JS backend, unchanged elsewhere.
import * as tf from '@tensorflow/tfjs-core';

export function registerGradientFixes(): void {
  tf.registerGradient({
    kernelName: 'ResizeNearestNeighbor',
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => {
      const [images] = saved;
      const run = (d: tf.Tensor, im: tf.Tensor) => tf.engine().runKernel('ResizeNearestNeighborGrad', { dy: d, images: im }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      return {
        images: () => {
          const B = images.shape[0];
          if (tf.getBackend() !== 'cpu' || B === 1) return run(dy as tf.Tensor, images);
          const d = tf.split(dy as tf.Tensor, B, 0), im = tf.split(images, B, 0);
          return tf.concat(d.map((di, b) => run(di, im[b])), 0);
        },
      };
    },
  });
}
