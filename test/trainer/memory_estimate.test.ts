// The memory estimate behind the WASM-heap refusal (trainer/data/memory_estimate.ts): it grows with
// every size it counts, it stays within its stated tolerance of the peaks measured on WASM, and the
// refusal names the value to lower and the largest value that fits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateRunConfig, type RunConfigInput } from '../../trainer/common/config.ts';
import { ESTIMATE_TOLERANCE, WASM_HEAP_BYTES, estimateTrainingBytes, imagesPerInstance, memoryRefusal, stepBytes } from '../../trainer/data/memory_estimate.ts';

const cfg = (preset: 'tiny' | 'cpu' | 'paper', size: number, ims: number, extra: RunConfigInput = {}) =>
  validateRunConfig({ ...extra, preset, solver: { imsPerBatch: ims }, input: { trainShortSides: [size], testShortSide: size, maxSize: Math.max(size, 267) } });

test('the estimate grows with the image, the batch, the RoIs, the widths and the depth', () => {
  const bytes = (c: ReturnType<typeof cfg>, ims = 1) => estimateTrainingBytes(c, ims).totalBytes;
  for (const preset of ['tiny', 'cpu', 'paper'] as const) {
    let last = 0;
    for (const size of [64, 128, 160, 256, 320, 480, 640, 800, 1024]) {
      const b = bytes(cfg(preset, size, 1));
      assert.ok(b > last, `${preset} ${size} px: ${b} after ${last}`);
      last = b;
    }
    assert.ok(bytes(cfg(preset, 320, 2), 2) > bytes(cfg(preset, 320, 1), 1), `${preset}: more images per heap`);
  }
  const base = cfg('cpu', 320, 1);
  assert.ok(bytes(cfg('cpu', 320, 1, { roi: { batchSizePerImage: 128 } })) > bytes(base), 'RoIs per image');
  assert.ok(bytes(cfg('cpu', 320, 1, { fpnChannels: 128 })) > bytes(base), 'FPN channels');
  assert.ok(bytes(cfg('cpu', 320, 1, { mask: { poolSize: 28 } })) > bytes(base), 'mask resolution');
  assert.ok(bytes(cfg('cpu', 320, 1, { backbone: { depth: 34 } })) > bytes(base), 'depth');
  assert.ok(bytes(cfg('cpu', 320, 1, { backbone: { stageChannels: [32, 64, 128, 256] } })) > bytes(base), 'backbone width');
});

// Peak bytes of one training step on WASM (the larger of tfjs' peak tensor bytes and the WASM heap
// after the step), measured with `npx tsx bench/memory-peak.ts --preset P --size S --ims N` on the
// shared 2-core machine (load ≈ 1–2; memory does not depend on load). The estimate was fitted to these.
const MEASURED: [preset: 'tiny' | 'cpu' | 'paper', size: number, ims: number, bytes: number][] = [
  ['tiny', 64, 1, 16_777_216], ['tiny', 128, 2, 34_930_688], ['cpu', 160, 1, 104_529_920], ['cpu', 320, 1, 260_243_456],
  ['cpu', 320, 2, 449_839_104], ['cpu', 480, 1, 459_079_680], ['cpu', 640, 1, 766_115_840], ['paper', 128, 1, 3_126_345_588],
  ['paper', 256, 1, 4_133_661_860],
];

test(`the estimate is within ${100 * ESTIMATE_TOLERANCE} % of every measured peak`, () => {
  for (const [preset, size, ims, measured] of MEASURED) {
    const est = estimateTrainingBytes(cfg(preset, size, ims), ims).totalBytes;
    assert.ok(Math.abs(est / measured - 1) <= ESTIMATE_TOLERANCE, `${preset} ${size} px × ${ims}: estimated ${est}, measured ${measured} (${(est / measured).toFixed(3)}×)`);
  }
});

test('a step is split over the data-parallel shards: one image per heap on 2 cores at 2 images per batch', () => {
  const c = validateRunConfig({ preset: 'paper' });
  assert.equal(imagesPerInstance(c, 2), 1);
  assert.equal(imagesPerInstance(c, 1), 2);
  assert.equal(imagesPerInstance(validateRunConfig({ preset: 'cpu', workers: 1 }), 16), 4, 'an explicit worker count wins');
  assert.ok(stepBytes(c, 1) > stepBytes(c, 2));
});

test('the paper preset at 800 px is refused on WASM, naming the scale and the largest one that fits', () => {
  const c = validateRunConfig({ preset: 'paper' });
  const r = memoryRefusal(c, 2)!;
  assert.ok(r, 'refused');
  assert.equal(r.key, 'input.trainShortSides');
  assert.equal(r.value, 800);
  assert.ok(r.fits !== null && r.fits < 800);
  assert.match(r.message, new RegExp(`^input\\.trainShortSides 800 needs about \\d+\\.\\d GiB of memory in one WASM heap \\(1 image per heap; the limit is 4\\.0 GiB\\): ${r.fits} fits`));
  const at = (s: number) => stepBytes(validateRunConfig({ preset: 'paper', input: { trainShortSides: [s] } }), 2);
  assert.ok(at(r.fits!) <= WASM_HEAP_BYTES && at(r.fits! + 1) > WASM_HEAP_BYTES, `${r.fits} is the largest that fits`);
  // 256 px is where the paper preset is known to train on WASM (the README's 0.06 img/s).
  assert.ok(r.fits! >= 256, `${r.fits}`);
});

test('when no lower scale alone fits, the refusal says so; the cpu and tiny presets are not refused', () => {
  const r = memoryRefusal(validateRunConfig({ preset: 'paper' }), 1)!;
  assert.match(r.message, /no lower value of input\.trainShortSides, solver\.imsPerBatch, roi\.batchSizePerImage alone fits: use a smaller model/);
  const wide = memoryRefusal(validateRunConfig({ preset: 'cpu', input: { trainShortSides: [1600], testShortSide: 1600, maxSize: 2000 } }), 2)!;
  assert.equal(wide.key, 'input.trainShortSides');
  assert.equal(wide.value, 1600);
  assert.ok(wide.fits! > 320 && wide.fits! < 1600);
  for (const preset of ['cpu', 'tiny'] as const) {
    for (const cores of [1, 2, 16]) assert.equal(memoryRefusal(validateRunConfig({ preset }), cores), null, `${preset} on ${cores} cores`);
  }
  const lim = memoryRefusal(validateRunConfig({ preset: "cpu" }), 2, 1, 120 * 1024 ** 2);
  assert.ok(lim && lim.fits !== null && lim.fits < 160, 'a lower limit refuses the cpu preset too');
  assert.ok(stepBytes(validateRunConfig({ preset: 'cpu' }), 2, 2) > stepBytes(validateRunConfig({ preset: 'cpu' }), 2, 1), 'wide images need more');
});
