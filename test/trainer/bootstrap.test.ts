// The seeded bootstrap over val images (trainer/eval/bootstrap.ts), checked against full COCOeval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CocoDataset, CocoResult } from '../../trainer/common/coco.ts';
import { evaluateCoco } from '../../trainer/eval/coco_eval.ts';
import { bootstrapAp, weightedAp } from '../../trainer/eval/bootstrap.ts';

/** A fixed case: 12 images, 2 classes, detections with distinct scores — some good, some shifted, some missing. */
function fixedCase(copies = 1): { gt: CocoDataset; dt: CocoResult[] } {
  const gt: CocoDataset = { images: [], categories: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], annotations: [] };
  const dt: CocoResult[] = [];
  let annId = 1;
  let score = 0.999;
  for (let c = 0; c < copies; c++) {
    for (let i = 0; i < 12; i++) {
      const id = c * 100 + i + 1;
      gt.images.push({ id, file_name: `${id}.jpg`, width: 200, height: 200 });
      const cat = (i % 3 === 0 ? 2 : 1) as 1 | 2;
      const box: [number, number, number, number] = [10 + i * 5, 20, 40 + i, 50];
      gt.annotations.push({ id: annId++, image_id: id, category_id: cat, bbox: box, area: box[2] * box[3], iscrowd: 0 });
      gt.annotations.push({ id: annId++, image_id: id, category_id: 1, bbox: [120, 120, 30, 30], area: 900, iscrowd: 0 });
      // image-dependent quality: a shift of 0..11 px (IoU from 1 down to about 0.5), a miss on every 4th image
      const s = (k: number) => (i * 0.07 + k * 0.013 + c * 1e-6) % 1; // distinct scores, same order in every copy
      if (i % 4 !== 3) dt.push({ image_id: id, category_id: cat, bbox: [box[0] + i, box[1], box[2], box[3]], score: 0.5 + s(1) / 2 - c * 1e-7 });
      dt.push({ image_id: id, category_id: 1, bbox: [120 + (i % 5) * 3, 120, 30, 30], score: 0.3 + s(2) / 2 - c * 1e-7 });
      if (i % 2 === 0) dt.push({ image_id: id, category_id: 2, bbox: [5, 150, 20, 20], score: 0.2 + s(3) / 4 - c * 1e-7 }); // false positive
      score -= 0.001;
    }
  }
  return { gt, dt };
}

test('bootstrap: all weights 1 reproduce COCOeval stats[0] and per-class AP exactly', () => {
  const { gt, dt } = fixedCase();
  const r = evaluateCoco(gt, dt, 'bbox');
  const w = weightedAp(r, new Array(r.imgIds.length).fill(1));
  assert.ok(Math.abs(w.ap - r.stats[0]) < 1e-12, `${w.ap} vs ${r.stats[0]}`);
  r.perCategory.forEach((p, k) => assert.ok(Math.abs(w.perCategory[k] - p.ap) < 1e-12));
  assert.ok(r.stats[0] > 0.1 && r.stats[0] < 0.95, `the fixed case is neither trivial nor hopeless (${r.stats[0]})`);
});

test('bootstrap: weights equal full COCOeval on a dataset with the drawn images copied under new ids', () => {
  const { gt, dt } = fixedCase();
  const r = evaluateCoco(gt, dt, 'bbox');
  const weights = [0, 2, 1, 0, 3, 1, 0, 1, 2, 0, 1, 1];
  // the copied dataset: copy c of image i gets id (c * 100 + i + 1), so copies keep the image order
  const copied: CocoDataset = { images: [], categories: gt.categories, annotations: [] };
  const copiedDt: CocoResult[] = [];
  let annId = 1;
  r.imgIds.forEach((imgId, idx) => {
    for (let c = 0; c < weights[idx]; c++) {
      const id = imgId * 10 + c;
      copied.images.push({ ...gt.images.find((im) => im.id === imgId)!, id });
      for (const a of gt.annotations.filter((a) => a.image_id === imgId)) copied.annotations.push({ ...a, id: annId++, image_id: id });
      for (const d of dt.filter((d) => d.image_id === imgId)) copiedDt.push({ ...d, image_id: id });
    }
  });
  const full = evaluateCoco(copied, copiedDt, 'bbox');
  const w = weightedAp(r, weights);
  assert.ok(Math.abs(w.ap - full.stats[0]) < 1e-12, `${w.ap} vs ${full.stats[0]}`);
  full.perCategory.forEach((p, k) => assert.ok(Math.abs(w.perCategory[k] - p.ap) < 1e-12, `class ${p.categoryId}`));
});

test('bootstrap: the interval contains the full-set AP, narrows as val images are duplicated, and the seed fixes it', () => {
  const one = fixedCase(1);
  const r1 = evaluateCoco(one.gt, one.dt, 'bbox');
  const b1 = bootstrapAp(r1, { resamples: 300, seed: 5 });
  assert.ok(b1.lo <= r1.stats[0] && r1.stats[0] <= b1.hi, `[${b1.lo}, ${b1.hi}] ∌ ${r1.stats[0]}`);
  assert.ok(b1.hi - b1.lo > 0.02, 'twelve images leave a visible interval');
  for (const [id, c] of Object.entries(b1.perCategory)) assert.ok(c.lo <= c.ap && c.ap <= c.hi, `class ${id}`);
  const four = fixedCase(4);
  const r4 = evaluateCoco(four.gt, four.dt, 'bbox');
  assert.ok(Math.abs(r4.stats[0] - r1.stats[0]) < 0.02, 'copies keep the AP');
  const b4 = bootstrapAp(r4, { resamples: 300, seed: 5 });
  assert.ok(b4.hi - b4.lo < 0.7 * (b1.hi - b1.lo), `4× the images: width ${b4.hi - b4.lo} vs ${b1.hi - b1.lo}`);
  assert.deepEqual(bootstrapAp(r1, { resamples: 300, seed: 5 }), b1);
  assert.notDeepEqual(bootstrapAp(r1, { resamples: 300, seed: 6 }), b1);
});

test('bootstrap: no detections give AP 0 with a zero-width interval; bad resample counts are refused', () => {
  const { gt } = fixedCase();
  const r = evaluateCoco(gt, [], 'bbox');
  const b = bootstrapAp(r, { resamples: 50 });
  assert.deepEqual([b.ap, b.lo, b.hi], [0, 0, 0]);
  assert.throws(() => bootstrapAp(r, { resamples: 0 }), /resamples/);
});
