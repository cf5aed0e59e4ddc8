// Runs in a Chromium page (test/trainer/webgpu_chromium.test.ts): the trainer's compute core — the
// same MaskRcnn, step and optimiser modules — on Chromium's own WebGPU, no Node in the page.
import * as tf from '@tensorflow/tfjs-core';
import { initWebGpu } from '../../trainer/backend/webgpu.ts';
import { registerGradientFixes } from '../../trainer/backend/gradient_fixes.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import { Rng } from '../../trainer/common/rng.ts';
import { MaskRcnn, buildMaskRcnnOptions } from '../../trainer/model/mask_rcnn.ts';
import { SgdMomentum } from '../../trainer/optim.ts';
import { trainStep } from '../../trainer/step.ts';
import '@tensorflow/tfjs-core/dist/register_all_gradients';

async function runSteps(steps: number): Promise<unknown> {
  registerGradientFixes();
  const r = await initWebGpu(true);
  if (!r.adapter) return { error: r.reason };
  const c = validateRunConfig({ preset: 'tiny' });
  const model = new MaskRcnn(buildMaskRcnnOptions(c, 3));
  const opt = new SgdMomentum(model.store, 0.9, 1e-4);
  const S = 64, rng = new Rng(1);
  const data = Float32Array.from({ length: 2 * S * S * 3 }, () => rng.normal());
  const gt = [[8, 8, 30, 34], [4, 30, 24, 60]].map((b) => ({
    boxes: Float32Array.from(b), classes: Int32Array.from([1]), maskTarget: (_j: number, _b: Float32Array, M: number) => new Float32Array(M * M).fill(1),
  }));
  const losses: number[] = [], tensors: number[] = [];
  for (let i = 0; i < steps; i++) {
    const images = tf.tensor4d(data, [2, S, S, 3]);
    const l = await trainStep(model, opt, { images, sizes: [[S, S], [S, S]] }, gt, 0.01, new Rng(i), 10);
    images.dispose();
    losses.push(l.total);
    tensors.push(tf.memory().numTensors);
  }
  return { backend: tf.getBackend(), adapter: r.adapter, losses, tensors };
}

(globalThis as { runSteps?: typeof runSteps }).runSteps = runSteps;
