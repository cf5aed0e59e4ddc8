// Synthetic shapes as the trainer's Samples (pixels + ground truth, as the data-parallel pool takes
// them), for the tests that send batches to shards.
import { rleFromPolygons, rleToMask } from '../../trainer/common/rle.ts';
import type { Sample } from '../../trainer/data/batch.ts';
import { syntheticImage } from '../../trainer/data/synthetic.ts';

/** n size×size images of seed `seed` with 1–3 shapes of minSize–28 px; `flipOdd` marks every odd one flipped. */
export function syntheticSamples(n: number, seed: number, o: { size: number; minSize: number; flipOdd: boolean }): Sample[] {
  const S = o.size;
  return Array.from({ length: n }, (_, i) => {
    const im = syntheticImage(seed, i, { width: S, height: S, minObjects: 1, maxObjects: 3, minSize: o.minSize, maxSize: 28 });
    return {
      pixels: Uint8Array.from(im.pixels), height: S, width: S,
      truth: {
        boxes: Float32Array.from(im.objects.flatMap((b) => [b.bbox[0], b.bbox[1], b.bbox[0] + b.bbox[2], b.bbox[1] + b.bbox[3]])),
        classes: Int32Array.from(im.objects.map((b) => b.categoryId)),
        width: S, height: S, flip: o.flipOdd && i % 2 === 1,
        masks: im.objects.map((b) => ({ data: rleToMask(rleFromPolygons([b.polygon], S, S)), height: S, width: S })),
      },
    };
  });
}
