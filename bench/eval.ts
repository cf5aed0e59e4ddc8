// COCO evaluation speed: 300 images × 8 ground-truth boxes × 100 detections × 3 classes, bbox, the
// size of a large val split at maxDets 100. Prints the median of 5 timed runs after one warm-up.
//   npx tsx bench/eval.ts
import { readFileSync } from 'node:fs';
import type { CocoDataset, CocoResult } from '../electron/coco.ts';
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
