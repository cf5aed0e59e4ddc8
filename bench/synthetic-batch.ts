// The synthetic batch the training benchmarks time: B images of size×size with 2–5 shapes each,
// normalised pixels, and the ground truth both as plain arrays (for torchvision) and as the model's
// GtInstances. Modules load lazily, after the benchmark has chosen its tfjs backend.
export async function syntheticTrainBatch(size: number, B: number) {
  const { syntheticImage } = await import('../trainer/data/synthetic.ts');
  const { rleFromPolygons, rleToMask } = await import('../trainer/eval/rle.ts');
  const { maskTarget } = await import('../trainer/data/mask_targets.ts');
  const imgs = Array.from({ length: B }, (_, i) => syntheticImage(1, i, { width: size, height: size, minObjects: 2, maxObjects: 5, minSize: size / 8, maxSize: size / 3 }));
  const data = new Float32Array(B * size * size * 3);
  imgs.forEach((im, b) => im.pixels.forEach((v, k) => (data[b * size * size * 3 + k] = (v - 127.5) / 64)));
  const raw = imgs.map((im) => ({
    boxes: im.objects.flatMap((o) => [o.bbox[0], o.bbox[1], o.bbox[0] + o.bbox[2], o.bbox[1] + o.bbox[3]]),
    classes: im.objects.map((o) => o.categoryId),
    masks: im.objects.map((o) => rleToMask(rleFromPolygons([o.polygon], size, size))),
  }));
  const gt = raw.map((g) => ({
    boxes: Float32Array.from(g.boxes),
    classes: Int32Array.from(g.classes),
    maskTarget: (i: number, box: Float32Array, M: number) => maskTarget({ data: g.masks[i], height: size, width: size }, box, M),
  }));
  const sizes = imgs.map(() => [size, size] as [number, number]);
  return { data, raw, gt, sizes };
}
