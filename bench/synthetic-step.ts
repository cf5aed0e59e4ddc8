// One training step (or one prediction) of a run config on the synthetic batch, for the benchmarks that
// time or measure a single step (train-profile, gn, memory-peak). Modules load lazily, after the
// benchmark has chosen its tfjs backend.
import * as tf from '@tensorflow/tfjs-core';
import { syntheticTrainBatch } from './synthetic-batch.ts';

export async function syntheticStep(raw: Record<string, unknown>, size: number, B: number) {
  const { validateRunConfig } = await import('../trainer/common/config.ts');
  const { MaskRcnn, buildMaskRcnnOptions } = await import('../trainer/model/mask_rcnn.ts');
  const { SgdMomentum } = await import('../trainer/optim.ts');
  const { trainStep } = await import('../trainer/train.ts');
  const { Rng } = await import('../trainer/common/rng.ts');
  const config = validateRunConfig(raw);
  const model = new MaskRcnn(buildMaskRcnnOptions(config, 4));
  const optim = new SgdMomentum(model.store, 0.9, 1e-4);
  const { data, gt, sizes } = await syntheticTrainBatch(size, B);
  /** One step: a training step seeded `it`, or with `predict` the model's detections. */
  const step = async (it: number, predict = false) => {
    const images = tf.tensor4d(data, [B, size, size, 3]);
    if (predict) await model.detect({ images, sizes });
    else await trainStep(model, optim, { images, sizes }, gt, 0.001, new Rng(it), 0);
    images.dispose();
  };
  return { config, model, step };
}
