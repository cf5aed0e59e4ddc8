import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import {
  BREAKDOWN_HIGH_OBJECTS,
  BREAKDOWN_LOW_OBJECTS,
  PAPER_LADDER,
  datasetCheck,
  historyFromEvents,
  learningCurve,
  overfittingVerdict,
  type EvalHistoryPoint,
} from '../../trainer/advice/index.ts';

// ---------------------------------------------------------------- dataset check

function snapshot(spec: { split: string; objects: number[]; area?: number }[], cats: string[]): CocoDataset {
  // spec: one entry per image; objects[k] = count of class k on it
  const images: CocoDataset['images'] = [];
  const annotations: CocoDataset['annotations'] = [];
  let aid = 1;
  spec.forEach((s, i) => {
    images.push({ id: i + 1, file_name: `${i + 1}.jpg`, width: 640, height: 480, split: s.split });
    s.objects.forEach((n, k) => {
      for (let j = 0; j < n; j++) {
        annotations.push({ id: aid++, image_id: i + 1, category_id: k + 1, bbox: [0, 0, 40, 40], area: s.area ?? 1600, iscrowd: 0 });
      }
    });
  });
  return { images, annotations, categories: cats.map((name, k) => ({ id: k + 1, name })) };
}

const repeat = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

test('paper ladder: COCO subsets at ~7.3 objects/image; breakdown zone 3.5k–10k images', () => {
  const byId = Object.fromEntries(PAPER_LADDER.map((r) => [r.id, r]));
  assert.equal(byId.coco_10k.objects, 72881); // 10k × 860k/118k
  assert.equal(byId.coco_3k5.objects, 25508);
  assert.equal(byId.coco_1k.objects, 7288);
  assert.equal(BREAKDOWN_LOW_OBJECTS, 25508);
  assert.equal(BREAKDOWN_HIGH_OBJECTS, 72881);
  assert.equal(byId.coco_3k5.scratch, '9.3 bbox AP');
  assert.equal(byId.voc.pretrained, '82.7 mAP');
});

test('datasetCheck: 275 images, 312 objects in 1 class → very_small with the plain-language sentence', () => {
  // 250 train images (37 with 2 objects, 213 with 1 → 287 objects), 25 val images (1 object each)
  const spec = [
    ...repeat(37, () => ({ split: 'train', objects: [2] })),
    ...repeat(213, () => ({ split: 'train', objects: [1] })),
    ...repeat(25, () => ({ split: 'val', objects: [1] })),
  ];
  const r = datasetCheck(snapshot(spec, ['widget']));
  assert.equal(r.images, 275);
  assert.equal(r.splits.train.images, 250);
  assert.equal(r.splits.val.objects, 25);
  assert.equal(r.objects, 287);
  assert.equal(r.basis, 'train');
  assert.equal(r.level, 'very_small');
  assert.equal(r.nearestRung, null);
  assert.ok(Math.abs(r.objectsPerImage - 287 / 250) < 1e-12);
  assert.equal(
    r.summary.split(':')[0],
    '287 objects in 1 class in the train split (250 images)',
  );
  assert.match(r.summary, /far below the ~25k–70k labelled objects/);
  assert.match(r.summary, /Expect overfitting; a held-out check will tell\./);
  assert.deepEqual(r.perClass[0].perSplit, { train: 287, val: 25, test: 0, unassigned: 0 });
  // only 25 val objects → noisy val AP note
  assert.ok(r.notes.some((n) => /Only 25 objects in val/.test(n)));
  assert.equal(r.perClass[0].level, 'small'); // 287 per class: between ~91 (1k) and ~319 (3.5k) per class
  assert.match(r.perClass[0].note!, /between the paper's 1k- and 3.5k-image COCO subsets/);
});

test('datasetCheck: 12k train images × 7 objects over 5 classes → enough, nearest rung 10k', () => {
  const spec = [...repeat(12_000, () => ({ split: 'train', objects: [2, 2, 1, 1, 1] })), ...repeat(1000, () => ({ split: 'val', objects: [1, 1, 1, 1, 1] }))];
  const r = datasetCheck(snapshot(spec, ['a', 'b', 'c', 'd', 'e']));
  assert.equal(r.objects, 84_000);
  assert.equal(r.level, 'enough');
  assert.equal(r.nearestRung, 'coco_10k');
  assert.equal(r.imbalanceRatio, 2);
  assert.match(r.summary, /matched pre-training \(25\.9 vs 26\.0 AP\)/);
});

test('datasetCheck: many objects but few per class is capped by the per-class count (VOC lesson)', () => {
  // 40 classes × 800 = 32k objects (borderline by total) but … make it 100 classes × 300 = 30k: per class 300 < 319 → small
  const cats = repeat(100, (k) => `c${k}`);
  const spec = repeat(3000, () => ({ split: 'train', objects: repeat(100, () => 0) }));
  spec.forEach((s, i) => {
    for (let j = 0; j < 10; j++) s.objects[(i * 10 + j) % 100]++;
  }); // 30k objects, 300 per class
  spec.push({ split: 'val', objects: repeat(100, () => 1) });
  const r = datasetCheck(snapshot(spec, cats));
  assert.equal(r.objects, 30_000);
  assert.equal(r.level, 'small');
  assert.match(r.summary, /per-class count \(median 300 instances per class\) is what limits it/);
});

test('datasetCheck: notes for no val split, unlabelled images, imbalance, missing and tiny classes, small objects', () => {
  const spec = [
    ...repeat(100, () => ({ split: 'train', objects: [5, 0, 0], area: 400 })),
    ...repeat(3, () => ({ split: 'train', objects: [0, 1, 0], area: 400 })),
    ...repeat(7, () => ({ split: 'train', objects: [0, 0, 0] })),
  ];
  const r = datasetCheck(snapshot(spec, ['car', 'bike', 'bus']));
  assert.equal(r.unlabelledImages, 7);
  assert.equal(r.imbalanceRatio, 500 / 3);
  assert.deepEqual(r.classesWithoutInstances, ['bus']);
  assert.equal(r.smallShare, 1);
  const all = r.notes.join('\n');
  assert.match(all, /No validation split/);
  assert.match(all, /7 images without any label/);
  assert.match(all, /Class imbalance 167:1 \(car 500 vs bike 3\)/);
  assert.match(all, /bike: only 3 training instances/);
  assert.match(all, /bus: no labelled instances yet/);
  assert.match(all, /100 % of objects are small/);
});

test('datasetCheck: no splits at all → counts every image; empty dataset does not throw', () => {
  const r = datasetCheck(snapshot(repeat(10, () => ({ split: '', objects: [1] })), ['x']));
  assert.equal(r.basis, 'all');
  assert.equal(r.objects, 10);
  assert.equal(r.splits.unassigned.images, 10);
  const e = datasetCheck({ images: [], annotations: [], categories: [] });
  assert.equal(e.level, 'very_small');
  assert.equal(e.objects, 0);
});

// ---------------------------------------------------------------- overfitting verdict

const hist = (rows: [number, number | null, number | null, (number | null)?][]): EvalHistoryPoint[] =>
  rows.map(([iteration, valBoxAP, trainLoss, trainBoxAP]) => ({ iteration, valBoxAP, trainLoss, trainBoxAP: trainBoxAP ?? null }));

test('verdict: no evaluations → no verdict (null) with confidence none and advice to add a val split', () => {
  const v = overfittingVerdict([]);
  assert.equal(v.verdict, null);
  assert.equal(v.confidence, 'none');
  assert.match(v.evidence[0], /No evaluation on a held-out split/);
  assert.match(v.advice[0], /val split/);
  // losses only, no AP
  assert.equal(overfittingVerdict(hist([[100, null, 1.0], [200, null, 0.8]])).confidence, 'none');
});

test('verdict: one evaluation — gap decides (0.92 vs 0.31 → too_small), no gap → borderline', () => {
  const v = overfittingVerdict(hist([[1000, 0.31, 0.5, 0.92]]));
  assert.equal(v.verdict, 'too_small');
  assert.equal(v.confidence, 'low');
  assert.ok(v.evidence.some((e) => e.includes('train-sample box AP 92.0 % vs val box AP 31.0 % at iteration 1000: gap 61.0 points')));
  const w = overfittingVerdict(hist([[1000, 0.31, 0.5]]));
  assert.equal(w.verdict, 'borderline');
  assert.match(w.evidence[0], /Only 1 evaluation/);
  // small gap on one evaluation → enough (low confidence)
  const x = overfittingVerdict(hist([[1000, 0.4, 0.5, 0.45]]));
  assert.equal(x.verdict, 'enough');
  assert.equal(x.confidence, 'low');
});

test('verdict: real decline with falling training loss → too_small with the numbers', () => {
  // peak 0.41 at 1200; centred 3-mean there (0.35+0.41+0.38)/3 = 0.38; end mean (0.35+0.33)/2 = 0.34 → −10.5 %
  const v = overfittingVerdict(
    hist([
      [300, 0.1, 1.2],
      [600, 0.25, 0.9],
      [900, 0.35, 0.8],
      [1200, 0.41, 0.7],
      [1800, 0.38, 0.6],
      [2400, 0.35, 0.5],
      [3000, 0.33, 0.4],
    ]),
  );
  assert.equal(v.verdict, 'too_small');
  assert.equal(v.confidence, 'high');
  assert.equal(v.bestIteration, 1200);
  assert.equal(v.bestValAP, 0.41);
  assert.ok(Math.abs(v.signals.decline! - 0.04 / 0.38) < 1e-9);
  assert.equal(v.signals.trainLossFell, true);
  assert.equal(
    v.evidence[0].split(';')[0],
    'val box AP peaked at 41.0 % at iteration 1200 and fell to 33.0 % (−20 %) by 3000 while training loss kept falling from 0.70 to 0.40',
  );
  assert.ok(v.advice.some((a) => a.includes('Keep the best checkpoint, iteration 1200')));
  assert.ok(v.advice.some((a) => a.includes('Shorten the schedule to about 1200 iterations')));
  assert.ok(v.advice.some((a) => /scale augmentation/.test(a)));
});

test('verdict: noisy plateau (incl. a one-off spike) is not a decline → enough', () => {
  const v = overfittingVerdict(
    hist([
      [500, 0.3, 1.0],
      [1000, 0.38, 0.9],
      [1500, 0.4, 0.8],
      [2000, 0.42, 0.75],
      [2500, 0.39, 0.7],
      [3000, 0.45, 0.68],
      [3500, 0.4, 0.66],
      [4000, 0.41, 0.65],
      [4500, 0.4, 0.64],
    ]),
  );
  assert.equal(v.verdict, 'enough');
  assert.ok(v.signals.decline! < 0.04);
  assert.ok(v.evidence.some((e) => /stayed on a plateau/.test(e)));
});

test('verdict: mild decline → borderline; decline with rising training loss is not called overfitting', () => {
  const mild = overfittingVerdict(
    hist([
      [1, 0.2, 1],
      [2, 0.4, 0.9],
      [3, 0.4, 0.8],
      [4, 0.4, 0.7],
      [5, 0.37, 0.6],
      [6, 0.37, 0.5],
    ]),
  );
  // peak centred mean 0.40, end 0.37 → 7.5 % (between 4 % and 10 %)
  assert.equal(mild.verdict, 'borderline');
  const unstable = overfittingVerdict(
    hist([
      [1, 0.2, 1],
      [2, 0.4, 0.8],
      [3, 0.4, 0.8],
      [4, 0.4, 0.8],
      [5, 0.2, 1.5],
      [6, 0.2, 1.6],
    ]),
  );
  assert.equal(unstable.verdict, 'borderline');
  assert.ok(unstable.evidence.some((e) => /unstable schedule/.test(e)));
});

test('verdict: still rising → still_learning with advice to train longer; tiny APs without a train sample → not_learned', () => {
  const v = overfittingVerdict(
    hist([
      [1, 0.1, 1],
      [2, 0.2, 0.9],
      [3, 0.3, 0.8],
      [4, 0.35, 0.7],
    ]),
  );
  assert.equal(v.verdict, 'still_learning');
  assert.equal(v.signals.stillRising, true);
  assert.ok(v.advice.some((a) => /train longer/.test(a)));
  // 0.02 → 0.015: −25 % but an absolute fall below 0.015 AP
  const tiny = overfittingVerdict(
    hist([
      [1, 0.01, 1],
      [2, 0.02, 0.9],
      [3, 0.02, 0.8],
      [4, 0.02, 0.7],
      [5, 0.012, 0.6],
      [6, 0.012, 0.5],
    ]),
  );
  assert.equal(tiny.verdict, 'not_learned');
});

test('verdict: moderate gap → borderline; val loss rising while train loss falls → borderline', () => {
  assert.equal(overfittingVerdict(hist([[1, 0.3, 1, 0.45], [2, 0.31, 0.9, 0.46], [3, 0.31, 0.8, 0.47]])).verdict, 'borderline');
  const pts: EvalHistoryPoint[] = [
    { iteration: 1, valBoxAP: 0.3, trainLoss: 1, valLoss: 1.0 },
    { iteration: 2, valBoxAP: 0.31, trainLoss: 0.8, valLoss: 0.9 },
    { iteration: 3, valBoxAP: 0.31, trainLoss: 0.6, valLoss: 1.05 },
  ];
  const v = overfittingVerdict(pts);
  assert.equal(v.signals.valLossRose, true);
  assert.equal(v.verdict, 'borderline');
});

test('verdict: per-class notes name the weak class and a rough number of instances', () => {
  const pts: EvalHistoryPoint[] = [
    { iteration: 1, valBoxAP: 0.3, trainLoss: 1, trainBoxAP: 0.35, perClassValAP: { '1': 0.5, '2': 0.1 }, perClassTrainAP: { '1': 0.55, '2': 0.7 } },
  ];
  const v = overfittingVerdict(pts, { classInstances: { '1': 400, '2': 40 }, classNames: { '1': 'car', '2': 'bike' } });
  assert.equal(v.perClass.length, 1);
  assert.equal(v.perClass[0].name, 'bike');
  assert.match(v.perClass[0].note, /gap 60\.0 points/);
  assert.match(v.perClass[0].note, /roughly \+50 labelled instances/);
  assert.ok(v.advice.includes(v.perClass[0].note));
});

test('historyFromEvents: merges val/train evaluations, averages training loss between evaluations', () => {
  const t = '2024-01-01T00:00:00Z';
  const prog = (iteration: number, total: number): TrainerEvent => ({
    type: 'progress', time: t, iteration, totalIterations: 100, epoch: 0, imagesPerSecond: 1, etaSeconds: 1, lr: 0.01, losses: { total },
  });
  const evalEv = (split: 'train' | 'val', iteration: number, ap: number): TrainerEvent => ({
    type: 'evaluation', time: t, split, iteration, bbox: [ap, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], segm: [], perCategory: { '1': ap, bad: 'x' },
  });
  const h = historyFromEvents([
    prog(10, 1.0),
    prog(20, 0.8),
    evalEv('val', 20, 0.2),
    evalEv('train', 20, 0.5),
    prog(30, 0.6),
    { type: 'metric', time: t, name: 'val/loss', value: 0.9, iteration: 40 },
    evalEv('val', 40, 0.25),
  ]);
  assert.equal(h.length, 2);
  assert.deepEqual(h[0], { iteration: 20, trainLoss: 0.9, valBoxAP: 0.2, valMaskAP: null, perClassValAP: { '1': 0.2 }, trainBoxAP: 0.5, perClassTrainAP: { '1': 0.5 } });
  assert.equal(h[1].trainLoss, 0.6);
  assert.equal(h[1].valLoss, 0.9);
});

// ---------------------------------------------------------------- learning curve

test('learningCurve: log-linear rise → still rising, +gain per doubling, rough image count', () => {
  // AP = 0.1 + 0.05·log2(images/100): 100 → 0.10, 200 → 0.15, 400 → 0.20; gain per doubling 0.05
  const r = learningCurve([
    { fraction: 0.25, trainImages: 100, valAP: 0.1 },
    { fraction: 0.5, trainImages: 200, valAP: 0.15 },
    { fraction: 1, trainImages: 400, valAP: 0.2 },
  ]);
  assert.equal(r.stillRising, true);
  assert.ok(Math.abs(r.gainPerDoubling! - 0.05) < 1e-12);
  assert.ok(Math.abs(r.r2! - 1) < 1e-12);
  assert.equal(r.projections[0].trainImages, 800);
  // three learned sizes: the saturating fit AP(n) = a − b·n^(−c) projects at most the log-linear 0.25
  assert.ok(r.powerLaw !== null);
  assert.ok(r.projections[0].valAP > 0.2 && r.projections[0].valAP <= 0.25 + 1e-9, String(r.projections[0].valAP));
  // +0.05 AP = one more doubling of the log-linear slope → 400 more images
  assert.equal(r.imagesForTargetGain, 400);
  assert.match(r.message, /More labels would help/);
  assert.match(r.message, /Expected at 2× the labels: 800 images → ~\d+\.\d %/);
});

test('learningCurve: flat curve → not rising, no image estimate; too few points → null', () => {
  const r = learningCurve([
    { fraction: 0.5, trainImages: 200, valAP: 0.3 },
    { fraction: 1, trainImages: 400, valAP: 0.302 },
  ]);
  assert.equal(r.stillRising, false);
  assert.equal(r.imagesForTargetGain, null);
  assert.equal(r.r2, null);
  assert.match(r.message, /flat/);
  const one = learningCurve([{ fraction: 1, trainImages: 400, valAP: 0.3 }]);
  assert.equal(one.stillRising, null);
  assert.match(one.message, /at least two/);
  // rising overall but the last step fell → mixed
  const mixed = learningCurve([
    { fraction: 0.25, trainImages: 100, valAP: 0.1 },
    { fraction: 0.5, trainImages: 200, valAP: 0.3 },
    { fraction: 1, trainImages: 400, valAP: 0.28 },
  ]);
  assert.equal(mixed.stillRising, null);
  assert.match(mixed.message, /Inconclusive/);
});

test('too_small by the gap alone while val AP still rises: the best checkpoint is the last one, said so', () => {
  // The shape of bench/report.ts's 24-image run: val AP rising to the end, train-sample AP far above it.
  const history = [240, 300, 360, 420].map((iteration, i) => ({ iteration, trainLoss: 0.7 - 0.1 * i, valBoxAP: 0.41 + 0.04 * i, trainBoxAP: 0.72 + 0.06 * i }));
  const v = overfittingVerdict(history);
  assert.equal(v.verdict, 'too_small');
  assert.ok(!v.advice.some((a) => a.includes('not the last one')), v.advice.join(' | '));
  assert.ok(v.advice.some((a) => a.includes('best checkpoint is the last one')), v.advice.join(' | '));
});
