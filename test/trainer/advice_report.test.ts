import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import { buildRunReport, writeRunReport } from '../../trainer/advice/report.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { tempDir } from '../helpers/tmp.ts';

const t = '2026-01-01T00:00:00Z';
function snapshot(trainImages: number): CocoDataset {
  const images = Array.from({ length: trainImages + 4 }, (_, i) => ({ id: i + 1, file_name: `${i}.png`, width: 64, height: 64, split: i < trainImages ? 'train' : 'val' }));
  const annotations = images.map((im, i) => ({ id: i + 1, image_id: im.id, category_id: 1, bbox: [4, 4, 20, 20] as [number, number, number, number], area: 400, iscrowd: 0 as const }));
  return { images, annotations, categories: [{ id: 1, name: 'square' }] };
}

/** A run whose val AP rises to `peak` at 400 then falls to `end` while the loss keeps falling. */
function events(peak: number, end: number, trainAP: number): TrainerEvent[] {
  const out: TrainerEvent[] = [{ type: 'started', time: t, backend: 'wasm', configSummary: 'tiny', totalIterations: 1000, trainImages: 24, valImages: 4, startIteration: 0 }];
  for (let it = 10; it <= 1000; it += 10) {
    out.push({ type: 'progress', time: t, iteration: it, totalIterations: 1000, epoch: it / 12, imagesPerSecond: 4, etaSeconds: 1000 - it, lr: 0.01, losses: { total: 2 / Math.sqrt(it) } });
    if (it % 100 === 0) {
      const val = it <= 400 ? (peak * it) / 400 : peak - ((peak - end) * (it - 400)) / 600;
      out.push({ type: 'evaluation', time: t, split: 'val', iteration: it, bbox: [val, val * 1.5], segm: [val * 0.8], perCategory: { '1': { name: 'square', ap: val, ap50: val * 1.5, numGt: 4 } } });
      out.push({ type: 'evaluation', time: t, split: 'train', iteration: it, bbox: [Math.min(trainAP, (trainAP * it) / 400)], segm: [] });
    }
  }
  out.push({ type: 'done', time: t, iteration: 1000, bbox: [end], segm: [end * 0.8], reason: 'completed' });
  return out;
}

describe('run report', () => {
  test('a val AP that peaks and falls with a big train/val gap reads as too small, with the numbers', () => {
    const r = buildRunReport(snapshot(24), events(0.4, 0.25, 0.9));
    assert.equal(r.verdict.verdict, 'too_small');
    assert.equal(r.best.iteration, 400);
    assert.ok(Math.abs(r.best.boxAP! - 0.4) < 1e-9);
    assert.equal(r.final.iteration, 1000);
    assert.equal(r.curves.valBoxAP.length, 10);
    assert.equal(r.curves.trainBoxAP.length, 10);
    assert.ok(r.curves.trainLoss.length > 10 && r.curves.trainLoss.length <= 200);
    assert.ok(r.curves.trainLoss.at(-1)![1] < r.curves.trainLoss[0][1], 'loss falls');
    assert.ok(r.verdict.evidence.some((e) => /peak/i.test(e)), r.verdict.evidence.join(' | '));
    assert.equal(r.backend, 'wasm');
    assert.equal(r.state, 'completed');
    assert.match(r.dataset.summary, /object/);
    assert.equal(r.perClass[0]?.name, 'square');
    assert.ok(Math.abs(r.perClass[0].valAP! - 0.25) < 1e-9, 'per-class AP read from the trainer\'s { ap } entries');
    assert.equal(r.perClass[0].instances, 24);
  });

  test('a val AP still rising with a small gap is not flagged', () => {
    const rising: TrainerEvent[] = events(0.5, 0.5, 0.55).map((e) =>
      e.type === 'evaluation' && e.split === 'val' ? { ...e, bbox: [0.1 + (0.45 * e.iteration) / 1000], segm: [0.3] } : e,
    );
    const r = buildRunReport(snapshot(600), rising);
    assert.notEqual(r.verdict.verdict, 'too_small', r.verdict.evidence.join(' | '));
    assert.equal(r.best.iteration, 1000);
  });

  test('writeRunReport reads a run folder, survives a torn last line, and writes report.json', () => {
    const dir = join(tempDir(), 'run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'snapshot.json'), JSON.stringify(snapshot(24)));
    writeFileSync(join(dir, 'metrics.jsonl'), events(0.4, 0.25, 0.9).map((e) => JSON.stringify(e)).join('\n') + '\n{"type":"progr');
    const r = writeRunReport(dir);
    const onDisk = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.equal(onDisk.verdict.verdict, r.verdict.verdict);
    assert.equal(onDisk.version, 1);
  });
});

describe('run report: early stop', () => {
  test('an early-stopped run records where it stopped, its best iteration and the train-sample size', () => {
    const evs = events(0.4, 0.3, 0.9)
      .filter((e) => !('iteration' in e) || (e.iteration ?? 0) <= 700)
      .map((e) => (e.type === 'evaluation' && e.split === 'train' ? { ...e, images: 24 } : e));
    evs.push({ type: 'done', time: t, iteration: 700, bbox: [0.3], segm: [0.2], reason: 'completed', stoppedEarly: true, bestIteration: 400, bestBoxAp: 0.4 });
    const r = buildRunReport(snapshot(24), evs);
    assert.deepEqual(r.earlyStop, { stopped: true, atIteration: 700, bestIteration: 400 });
    assert.equal(r.trainSampleImages, 24);
    assert.equal(r.state, 'completed');
    const plain = buildRunReport(snapshot(24), events(0.4, 0.3, 0.9));
    assert.deepEqual(plain.earlyStop, { stopped: false, atIteration: null, bestIteration: null });
    assert.equal(plain.trainSampleImages, null);
  });
});

describe('run report: no verdict without evidence, and disagreements with the dataset check explained', () => {
  test('a run that failed at its first step has verdict null (not borderline)', () => {
    const ev: TrainerEvent[] = [
      { type: 'started', time: t, backend: 'wasm', configSummary: 'tiny', totalIterations: 100, trainImages: 24, valImages: 4, startIteration: 0 },
      { type: 'failed', time: t, reason: 'out of memory' },
    ];
    const r = buildRunReport(snapshot(24), ev);
    assert.equal(r.verdict.verdict, null);
    assert.equal(r.state, 'failed');
  });

  test('a running run with a val split but no evaluation yet has no verdict and does not ask for a val split', () => {
    const ev: TrainerEvent[] = [
      { type: 'started', time: t, backend: 'wasm', configSummary: 'tiny', totalIterations: 100, trainImages: 24, valImages: 4, startIteration: 0 },
      { type: 'progress', time: t, iteration: 10, totalIterations: 100, epoch: 1, imagesPerSecond: 4, etaSeconds: 90, lr: 0.01, losses: { total: 2 } },
    ];
    const r = buildRunReport(snapshot(24), ev);
    assert.equal(r.verdict.verdict, null);
    assert.match(r.verdict.evidence[0], /val split holds 4 images/);
    assert.ok(!r.verdict.advice.some((a) => /10–20 %/.test(a)), r.verdict.advice.join(' | '));
  });

  test('not learned on a small dataset: the report says the check\'s "expect overfitting" is neither confirmed nor refuted', () => {
    const r = buildRunReport(snapshot(24), events(0.001, 0.0005, 0.001), { preset: 'tiny', input: { trainShortSides: [64] } });
    assert.equal(r.verdict.verdict, 'not_learned');
    assert.equal(r.dataset.level, 'very_small');
    assert.match(r.verdict.reconciliation ?? '', /expected overfitting.*neither confirm nor refute/);
    // 20-px squares in 64-px images at a 64-px training scale: the advice names their size
    assert.ok(r.verdict.advice.some((a) => /about 20 px across/.test(a)), r.verdict.advice.join(' | '));
  });

  test('"enough" on a dataset the check expected to overfit names the evidence that overrode it', () => {
    const r = buildRunReport(snapshot(24), events(0.5, 0.5, 0.52));
    assert.equal(r.verdict.verdict, 'enough', r.verdict.evidence.join(' | '));
    assert.match(r.verdict.reconciliation ?? '', /expected overfitting.*overrode it/);
  });
});
