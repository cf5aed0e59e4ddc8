// The synthetic batch the training benchmarks time: B images of size×size with 2–5 shapes each, as
// normalised pixels, as the trainer's Samples (what the data-parallel pool takes), and the ground
// truth both as plain arrays (for torchvision) and as the model's GtInstances. Modules load lazily,
// after the benchmark has chosen its tfjs backend.
export async function syntheticTrainBatch(size: number, B: number) {
  const { syntheticImage } = await import('../trainer/data/synthetic.ts');
  const { rleFromPolygons, rleToMask } = await import('../trainer/common/rle.ts');
  const { gtInstances } = await import('../trainer/data/loader.ts');
  type Sample = import('../trainer/data/loader.ts').Sample;
  const imgs = Array.from({ length: B }, (_, i) => syntheticImage(1, i, { width: size, height: size, minObjects: 2, maxObjects: 5, minSize: size / 8, maxSize: size / 3 }));
  const data = new Float32Array(B * size * size * 3);
  imgs.forEach((im, b) => im.pixels.forEach((v, k) => (data[b * size * size * 3 + k] = (v - 127.5) / 64)));
  const raw = imgs.map((im) => ({
    boxes: im.objects.flatMap((o) => [o.bbox[0], o.bbox[1], o.bbox[0] + o.bbox[2], o.bbox[1] + o.bbox[3]]),
    classes: im.objects.map((o) => o.categoryId),
    masks: im.objects.map((o) => rleToMask(rleFromPolygons([o.polygon], size, size))),
  }));
  const samples: Sample[] = imgs.map((im, b) => ({
    pixels: Uint8Array.from(im.pixels), height: size, width: size,
    truth: {
      boxes: Float32Array.from(raw[b].boxes), classes: Int32Array.from(raw[b].classes), width: size, height: size, flip: false,
      masks: raw[b].masks.map((m) => ({ data: m, height: size, width: size })),
    },
  }));
  const gt = samples.map((s) => gtInstances(s.truth!));
  const sizes = imgs.map(() => [size, size] as [number, number]);
  return { data, raw, samples, gt, sizes };
}
