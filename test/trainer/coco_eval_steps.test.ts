// The evaluator's steps (trainer/eval/coco_eval.ts) as pycocotools' cocoeval.py has them: prepare
// (loadRes) → evaluate → accumulate → summarize, each usable alone, and the precision step the
// bootstrap shares with accumulate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { CocoDataset, CocoResult } from '../../trainer/common/coco.ts';
import { accumulate, evaluate, evaluateCoco, precisionAtRecalls, prepare, rankDetections, summarize } from '../../trainer/eval/coco_eval.ts';

const gt: CocoDataset = JSON.parse(readFileSync(new URL('../fixtures/roboflow-mini/train/_annotations.coco.json', import.meta.url), 'utf8'));

/** Detections from the gt: shifted boxes with scores, some on the wrong class, some missing, and a few strays. */
function detections(): CocoResult[] {
  const cats = gt.categories.map((c) => c.id);
  return gt.annotations.flatMap((a, i): CocoResult[] => {
    if (i % 5 === 4) return [];
    const [x, y, w, h] = a.bbox;
    const shift = (i % 7) * 0.06;
    const own: CocoResult = { image_id: a.image_id, category_id: i % 6 === 5 ? cats[(cats.indexOf(a.category_id) + 1) % cats.length] : a.category_id, bbox: [x + shift * w, y, w, h], score: ((i * 37) % 100) / 100 };
    const stray: CocoResult = { image_id: a.image_id, category_id: a.category_id, bbox: [5, 5, 20, 20], score: ((i * 53) % 100) / 200 };
    return i % 3 === 0 ? [own, stray] : [own];
  });
}

test('evaluate → accumulate → summarize composed by hand give evaluateCoco’s numbers, bbox and segm', () => {
  const dt = detections();
  for (const iouType of ['bbox', 'segm'] as const) {
    const whole = evaluateCoco(gt, dt, iouType);
    const setup = prepare(gt, dt, iouType);
    const evalImgs = evaluate(setup);
    const acc = accumulate(evalImgs, setup.params, setup.catIds.length, setup.imgIds.length);
    assert.deepEqual(summarize(acc, setup.params, setup.catIds.length), whole.stats);
    assert.deepEqual(acc.precision, whole.precision);
    assert.deepEqual(acc.recall, whole.recall);
    assert.deepEqual(evalImgs, whole.evalImgs);
    assert.ok(whole.stats[1] > 0.05 && whole.stats[1] < 1, `${iouType}: the case is neither trivial nor hopeless (AP50 ${whole.stats[1]})`);
  }
});

test('accumulate’s precision step: cumulative tp/fp, monotone from the right, sampled at recall thresholds (searchsorted left)', () => {
  const EPS = 2.220446049250313e-16; // np.spacing(1), as cocoeval.py
  // tp, fp, (ignored: counts neither way), tp over 2 gt: recall .5 .5 .5 1, precision 1 .5 .5 .667,
  // monotone from the right 1 .667 .667 .667
  const matched = Uint8Array.from([1, 0, 0, 1]);
  const ignored = Uint8Array.from([0, 0, 1, 0]);
  const { precision, recall } = precisionAtRecalls(matched, ignored, 2, [0, 0.5, 0.6, 1]);
  assert.deepEqual(Array.from(precision), [1 / (1 + EPS), 1 / (1 + EPS), 2 / (3 + EPS), 2 / (3 + EPS)]);
  assert.equal(recall, 1);
  // a recall threshold never reached samples 0
  assert.deepEqual(Array.from(precisionAtRecalls(Uint8Array.from([1]), Uint8Array.from([0]), 2, [0.5, 0.75]).precision), [1 / (1 + EPS), 0]);
  assert.deepEqual(precisionAtRecalls(new Uint8Array(0), new Uint8Array(0), 3, [0, 1]), { precision: new Float64Array(2), recall: 0 });
});

test('precision step with copies equals the same list with each detection repeated in place (the bootstrap’s weights)', () => {
  const setup = prepare(gt, detections(), 'bbox');
  const p = setup.params;
  const K = setup.catIds.length, I = setup.imgIds.length, A = p.areaRng.length, T = p.iouThrs.length;
  const evalImgs = evaluate(setup);
  const ranked = Array.from({ length: K }, (_, k) => rankDetections(evalImgs, k, 0, A, I, T, 100)).reduce((a, b) => (b.image.length > a.image.length ? b : a));
  assert.ok(ranked.image.length > 10, `a category with detections (${ranked.image.length})`);
  const weights = Array.from({ length: I }, (_, i) => (i * 7) % 3); // 0, 1 or 2 copies of each image
  const npig = ranked.numGt.reduce((s, g, i) => s + g * weights[i], 0);
  for (const t of [0, 5, T - 1]) {
    const expand = (flags: Uint8Array) => Uint8Array.from([...flags].flatMap((f, d) => new Array(weights[ranked.image[d]]).fill(f)));
    const direct = precisionAtRecalls(expand(ranked.matched[t]), expand(ranked.ignored[t]), npig, p.recThrs);
    const copied = precisionAtRecalls(ranked.matched[t], ranked.ignored[t], npig, p.recThrs, (d) => weights[ranked.image[d]]);
    assert.deepEqual(copied, direct);
    assert.ok(direct.recall > 0, `threshold ${t}: something is matched`);
  }
});

test('prepare refuses a result on an image the ground truth lacks, naming it', () => {
  assert.throws(() => prepare(gt, [{ image_id: 987654, category_id: gt.categories[0].id, bbox: [0, 0, 1, 1], score: 1 }], 'bbox'), /image_id 987654/);
});
