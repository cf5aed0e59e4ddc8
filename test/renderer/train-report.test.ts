// The run screen shows the report the trainer sent: report.json when there is one, else the trainer's
// last verdict event (with the curves of the events so far), else nothing — it never judges a run itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import type { RunDetail } from '../../electron/api.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { buildRunReport, verdictEvent } from '../../trainer/advice/report.ts';
import { reportView } from '../../renderer/src/lib/train/report.ts';

const dataset: CocoDataset = {
  images: [{ id: 1, file_name: 'a.png', width: 64, height: 64, split: 'train' }, { id: 2, file_name: 'b.png', width: 64, height: 64, split: 'val' }],
  annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 10, 10], area: 100, iscrowd: 0, segmentation: [[1, 1, 11, 1, 11, 11, 1, 11]] }],
  categories: [{ id: 1, name: 'bag' }],
} as CocoDataset;
const detail = (report: Record<string, unknown> | null) => ({ id: 'r', status: 'running', valImages: 1, preset: 'tiny', report, events: [] }) as unknown as RunDetail;
const progress = (iteration: number): TrainerEvent => ({ type: 'progress', time: '', iteration, totalIterations: 20, epoch: 1, imagesPerSecond: 1, etaSeconds: 1, lr: 0.01, losses: { total: 1 / iteration } });

test('report.json, when the run has one, is shown as it is', () => {
  const report = buildRunReport(dataset, [progress(10)]);
  const view = reportView(detail(report as unknown as Record<string, unknown>), [], null);
  assert.equal(view?.source, 'file');
  assert.equal(view?.report, report);
});

test('while training: the last verdict event the trainer sent, with the curves of the events so far', () => {
  const early = verdictEvent(buildRunReport(dataset, []), 0, false);
  const later = { ...verdictEvent(buildRunReport(dataset, [progress(10)]), 10, false), verdict: { ...early.verdict, verdict: 'still_learning' as const, evidence: ['from the trainer'] } };
  const view = reportView(detail(null), [early, progress(10), later, progress(20)], null);
  assert.equal(view?.source, 'events');
  assert.equal(view?.report.verdict, later.verdict, 'the event’s verdict, not one rebuilt here');
  assert.deepEqual(view?.report.perClass, later.perClass);
  assert.deepEqual(view?.report.curves.trainLoss, [[10, 0.1], [20, 0.05]]);
});

test('a resumed run that is training again shows its live verdict, not the report.json of its earlier session', () => {
  const stale = buildRunReport(dataset, [progress(10)]);
  const live = { ...verdictEvent(buildRunReport(dataset, [progress(10)]), 10, false), verdict: { ...stale.verdict, evidence: ['resumed'] } };
  assert.equal(reportView(detail(stale as unknown as Record<string, unknown>), [live], null)?.report.verdict, live.verdict);
  const finished = { ...detail(stale as unknown as Record<string, unknown>), status: 'done' } as RunDetail;
  assert.equal(reportView(finished, [live], null)?.source, 'file');
});

test('a run without report.json or any verdict event shows none (nothing is made up)', () => {
  assert.equal(reportView(detail(null), [progress(10)], null), null);
});
