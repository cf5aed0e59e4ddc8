// The learning test: a Mask R-CNN from random init, trained on the CPU within minutes on
// deterministic synthetic shapes (4 classes, textured backgrounds, exact polygon masks), must reach
// box AP50 ≥ 0.7 and mask AP50 ≥ 0.6 on held-out images, measured with the COCO evaluator.
// It goes through the whole run contract: run folder → train() → evaluation event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import { train } from '../../trainer/train.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';

/** The run the test trains (also documented in the final report). */
export const LEARNING_RUN = {
  seed: 11,
  train: 400,
  val: 60,
  width: 128,
  height: 128,
  minObjects: 1,
  maxObjects: 4,
  minSize: 20,
  maxSize: 48,
  config: {
    preset: 'cpu',
    backend: 'wasm',
    // Augmentation off (the cpu preset has it on): this test bounds how fast a fixed, short schedule
    // learns, and jitter/paste make a 3.5-epoch run learn its shapes slower.
    input: { trainShortSides: [128], testShortSide: 128, scaleJitter: [1, 1], photometric: 0, copyPaste: 0 },
    solver: { epochs: 3.5, evalEveryIterations: 0, evaluations: 0, checkpointEveryIterations: 0 },
  },
};

test('Mask R-CNN from scratch learns synthetic shapes: box AP50 ≥ 0.7, mask AP50 ≥ 0.6', { timeout: 15 * 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-learning-'));
  try {
    await writeSyntheticRun(dir, LEARNING_RUN);
    const t0 = Date.now();
    let lastProgress: TrainerEvent | undefined;
    const end = await train(dir, { onEvent: (e) => { if (e.type === 'progress') lastProgress = e; } });
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(end.type, 'done', end.type === 'failed' ? end.reason : '');
    if (end.type !== 'done') return;
    const [boxAp, boxAp50] = end.bbox, [maskAp, maskAp50] = end.segm;
    const ips = lastProgress?.type === 'progress' ? lastProgress.imagesPerSecond.toFixed(2) : '?';
    console.log(`learning test: ${seconds.toFixed(0)} s, ${ips} img/s; box AP ${boxAp.toFixed(3)} AP50 ${boxAp50.toFixed(3)}; mask AP ${maskAp.toFixed(3)} AP50 ${maskAp50.toFixed(3)}`);
    assert.ok(boxAp50 >= 0.7, `box AP50 ${boxAp50}`);
    assert.ok(maskAp50 >= 0.6, `mask AP50 ${maskAp50}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
