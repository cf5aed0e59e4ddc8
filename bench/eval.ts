// COCO evaluation speed: 300 images × 8 ground-truth boxes × 100 detections × 3 classes, bbox, the
// size of a large val split at maxDets 100; and turning 100 detections into COCO results. Prints
// medians of 5 timed runs after one warm-up.
//   npx tsx bench/eval.ts
import { readFileSync } from 'node:fs';
import type { CocoDataset, CocoResult } from '../trainer/common/coco.ts';
import { evaluateCoco } from '../trainer/eval/coco_eval.ts';

let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const box = (): [number, number, number, number] => [rnd() * 500, rnd() * 500, 10 + rnd() * 200, 10 + rnd() * 200];
const gt: CocoDataset = {
  images: Array.from({ length: 300 }, (_, i) => ({ id: i + 1, file_name: `${i + 1}.jpg`, width: 800, height: 800 })),
  categories: [1, 2, 3].map((id) => ({ id, name: `c${id}` })),
  annotations: [],
};
const dts: CocoResult[] = [];
let annId = 1;
for (let img = 1; img <= 300; img++) {
  for (let j = 0; j < 8; j++) {
    const b = box();
    gt.annotations.push({ id: annId++, image_id: img, category_id: 1 + (j % 3), bbox: b, area: b[2] * b[3], iscrowd: 0, segmentation: [] });
  }
  for (let j = 0; j < 100; j++) dts.push({ image_id: img, category_id: 1 + (j % 3), bbox: box(), score: rnd() });
}
const times: number[] = [];
for (let k = 0; k < 6; k++) {
  const t0 = performance.now();
  evaluateCoco(gt, dts, 'bbox');
  if (k > 0) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`COCO bbox eval, 300 images × 8 gt × 100 detections × 3 classes: median ${times[2].toFixed(0)} ms over ${times.length} runs (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);

// Predictions to COCO results: 100 detections' 28×28 masks pasted at the original size and RLE-encoded
// (trainer/predict.ts detectionsToCoco), on a 640×640 image and a 12 MP photo.
const { detectionsToCoco } = await import('../trainer/predict.ts');
for (const [H, W] of [[640, 640], [3000, 4000]]) {
  const D = 100, M = 28;
  const boxes = new Float32Array(D * 4), scores = new Float32Array(D).fill(0.5), classes = new Int32Array(D).fill(1);
  for (let i = 0; i < D; i++) { const x = (i * 37) % 100, y = (i * 53) % 100; boxes.set([x, y, x + 20 + (i % 40), y + 20 + (i % 30)], 4 * i); }
  const masks = new Float32Array(D * M * M).map((_, k) => ((k * 7919) % 100) / 100);
  const frame: [number, number] = [160, Math.round((160 * W) / H)];
  const runs: number[] = [];
  for (let k = 0; k < 6; k++) {
    const t0 = performance.now();
    detectionsToCoco({ boxes, scores, classes, masks, maskSize: M }, { id: 1, width: W, height: H }, frame, [{ id: 1, name: 'a' }], 0.5);
    if (k > 0) runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  console.log(`detections → COCO results (paste + RLE), 100 detections on ${W}×${H}: median ${runs[2].toFixed(0)} ms over ${runs.length} runs`);
}
