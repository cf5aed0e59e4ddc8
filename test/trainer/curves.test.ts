// trainer/common/curves.ts: the one builder the live charts and report.json share.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { curvesFromEvents, totalLoss } from '../../trainer/common/curves.ts';
import { curvesFromEvents as liveCurves } from '../../renderer/src/lib/train/curves.ts';
import { buildRunReport } from '../../trainer/advice/report.ts';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';

const progress = (iteration: number, losses: Record<string, number>): TrainerEvent => ({ type: 'progress', time: '', iteration, totalIterations: 1000, epoch: 1, imagesPerSecond: 1, etaSeconds: 1, lr: 0.01, losses });
const evaluation = (iteration: number, split: 'val' | 'train', box: number, mask: number): TrainerEvent =>
  ({ type: 'evaluation', time: '', iteration, split, images: 2, bbox: [box], segm: [mask] }) as unknown as TrainerEvent;

test('every point unless asked to average: loss totals, val and train-sample AP, val loss', () => {
  const events = [
    progress(1, { total: 2 }),
    progress(2, { rpn: 0.5, box: 0.25 }), // no total: the sum of its terms
    evaluation(2, 'val', 0.1, 0.05),
    evaluation(2, 'train', 0.3, 0.2),
    { type: 'metric', time: '', iteration: 2, name: 'val/loss', value: 1.5 } as unknown as TrainerEvent,
    { type: 'metric', time: '', iteration: 2, name: 'lr', value: 0.01 } as unknown as TrainerEvent,
  ];
  assert.deepEqual(curvesFromEvents(events), {
    trainLoss: [[1, 2], [2, 0.75]],
    valBoxAP: [[2, 0.1]],
    valMaskAP: [[2, 0.05]],
    trainBoxAP: [[2, 0.3]],
    valLoss: [[2, 1.5]],
  });
  assert.deepEqual(liveCurves(events), curvesFromEvents(events), 'the live chart plots the same builder’s output');
});

test('maxLossPoints averages the loss over equal windows, each at its last iteration', () => {
  const events = Array.from({ length: 10 }, (_, i) => progress(i + 1, { total: i + 1 }));
  assert.deepEqual(curvesFromEvents(events, { maxLossPoints: 5 }).trainLoss, [[2, 1.5], [4, 3.5], [6, 5.5], [8, 7.5], [10, 9.5]]);
  assert.deepEqual(curvesFromEvents(events, { maxLossPoints: 3 }).trainLoss, [[4, 2.5], [8, 6.5], [10, 9.5]], 'a shorter last window');
  assert.equal(curvesFromEvents(events, { maxLossPoints: 200 }).trainLoss.length, 10, 'fewer points than the cap: every point');
});

test('a diverged step (NaN written as null) or a missing AP is no point at all, not a zero', () => {
  const diverged = { type: 'progress', iteration: 3, losses: { total: null, rpn: null } } as unknown as TrainerEvent;
  const noAp = { type: 'evaluation', iteration: 3, split: 'val', bbox: [], segm: [null] } as unknown as TrainerEvent;
  const c = curvesFromEvents([progress(1, { total: 1 }), diverged, noAp]);
  assert.deepEqual(c.trainLoss, [[1, 1]]);
  assert.deepEqual(c.valBoxAP, []);
  assert.deepEqual(c.valMaskAP, []);
  assert.equal(totalLoss({ rpn: 1, box: Number.NaN }), null);
  assert.equal(totalLoss({}), null);
});

test('report.json’s curves are the builder’s, the loss averaged to at most 200 points', () => {
  const dataset = {
    images: [{ id: 1, file_name: 'a.png', width: 64, height: 64, split: 'train' }, { id: 2, file_name: 'b.png', width: 64, height: 64, split: 'val' }],
    annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 10, 10], area: 100, iscrowd: 0, segmentation: [[1, 1, 11, 1, 11, 11, 1, 11]] }],
    categories: [{ id: 1, name: 'bag' }],
  } as CocoDataset;
  const events = [...Array.from({ length: 450 }, (_, i) => progress(i + 1, { total: 1 / (i + 1) })), evaluation(450, 'val', 0.2, 0.1)];
  const report = buildRunReport(dataset, events);
  assert.deepEqual(report.curves, curvesFromEvents(events, { maxLossPoints: 200 }));
  assert.equal(report.curves.trainLoss.length, 150, '450 points in windows of 3');
  assert.deepEqual(report.curves.trainLoss[0], [3, (1 + 1 / 2 + 1 / 3) / 3]);
});
