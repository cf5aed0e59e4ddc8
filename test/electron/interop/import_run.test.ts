// import-run without PyTorch: Detectron2-style results become a reviewable run scored by our evaluator;
// bad imports (results for other images, unknown category ids, malformed entries, weights of another
// class count, an export of another project) are refused with the reason and change nothing.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { CocoDataset, CocoResult } from '../../../trainer/common/coco.ts';
import { importCoco } from '../../../electron/services/coco_import.ts';
import { Project } from '../../../electron/services/project.ts';
import { reviewImages } from '../../../electron/services/review.ts';
import { writeSafetensors } from '../../../electron/services/interop/safetensors.ts';
import { toTorchvisionState } from '../../../electron/services/interop/torchvision_weights.ts';
import type { RunManifest } from '../../../electron/services/interop/export_run.ts';
import { initBackend } from '../../../trainer/backend/index.ts';
import { MaskRcnn, buildMaskRcnnOptions } from '../../../trainer/model/mask_rcnn.ts';
import { FIXTURES, tempDir } from '../../helpers/tmp.ts';
import { cli, fixtureProject } from './fixture.ts';

/** Rows of the runs and predictions tables and the runs/ folder: what an import may change. */
function state(dir: string): string {
  const p = Project.open(dir);
  try {
    const runs = p.db.prepare('SELECT id FROM runs ORDER BY id').all();
    const preds = p.db.prepare('SELECT COUNT(*) AS n FROM predictions').get();
    let folder: string[] = [];
    try { folder = readdirSync(join(dir, 'runs')).sort(); } catch { /* none yet */ }
    return JSON.stringify({ runs, preds, folder });
  } finally {
    p.close();
  }
}

/** The val ground truth as results (score 1): a perfect detector. */
function perfectResults(out: string): CocoResult[] {
  const val = JSON.parse(readFileSync(join(out, 'datasets', 'val.json'), 'utf8')) as CocoDataset;
  return val.annotations.map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 1 }));
}

describe('import-run', () => {
  before(async () => { await initBackend('cpu'); });

  test('Detectron2 results become a run: our AP, its predictions under review; a second import is another run', async () => {
    const dir = await fixtureProject();
    const out = join(tempDir(), 'd2');
    assert.equal((await cli('export-run', dir, out, '--engine', 'detectron2')).code, 0);
    mkdirSync(join(out, 'output', 'inference'), { recursive: true });
    const results = perfectResults(out);
    writeFileSync(join(out, 'output', 'inference', 'coco_instances_results.json'), JSON.stringify(results));
    // What Detectron2's trainer logs in output/metrics.json: losses every 20 iterations, COCO APs (percent) at each EVAL_PERIOD.
    const d2Log = [
      { iteration: 19, total_loss: 3.1, loss_cls: 0.9, loss_box_reg: 0.8, loss_mask: 0.7, loss_rpn_cls: 0.4, loss_rpn_loc: 0.3, lr: 0.004 },
      { iteration: 39, total_loss: 2.2, loss_cls: 0.6, loss_box_reg: 0.6, loss_mask: 0.5, loss_rpn_cls: 0.3, loss_rpn_loc: 0.2, lr: 0.008 },
      { iteration: 39, 'bbox/AP': 12.5, 'bbox/AP50': 30, 'bbox/AP75': 8, 'bbox/APs': 1, 'bbox/APm': 10, 'bbox/APl': 20, 'segm/AP': 10 },
      { iteration: 59, total_loss: 1.9, lr: 0.01 },
    ];
    writeFileSync(join(out, 'output', 'metrics.json'), d2Log.map((l) => JSON.stringify(l)).join('\n') + '\n{"iteration": 7');
    const r = await cli('import-run', dir, out, '--json');
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out);
    assert.equal(s.engine, 'detectron2');
    assert.equal(s.results, results.length);
    assert.equal(s.checkpoint, null, 'Detectron2: results only');
    assert.ok(Math.abs(s.bbox[0] - 1) < 1e-9, `a perfect detector scores box AP 1, got ${s.bbox[0]}`);
    const human = await cli('import-run', dir, join(out, 'output', 'inference', 'coco_instances_results.json'));
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /box AP 100\.0 %/);
    const p = Project.open(dir);
    try {
      const run = p.db.prepare('SELECT * FROM runs WHERE id = ?').get(s.runId) as { status: string; backend: string; best_box_ap: number; snapshot_hash: string };
      assert.equal(run.status, 'done');
      assert.equal(run.backend, 'detectron2 (imported)');
      const manifest = JSON.parse(readFileSync(join(out, 'fieldwork-run.json'), 'utf8')) as RunManifest;
      assert.equal(run.snapshot_hash, manifest.snapshotHash, 'linked to the exported snapshot');
      const events = readFileSync(join(dir, 'runs', s.runId, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const progress = events.filter((e) => e.type === 'progress');
      assert.deepEqual(progress.map((e) => [e.iteration, e.losses.total]), [[20, 3.1], [40, 2.2], [60, 1.9]], 'their loss curve');
      const evals = events.filter((e) => e.type === 'evaluation');
      assert.equal(evals.length, 2, 'theirs at iteration 40, ours at the end');
      assert.deepEqual(evals[0].bbox.slice(0, 3), [0.125, 0.3, 0.08]);
      assert.equal(evals[1].iteration, 60);
      assert.ok(Math.abs(evals[1].bbox[0] - 1) < 1e-9);
      const report = JSON.parse(readFileSync(join(dir, 'runs', s.runId, 'report.json'), 'utf8'));
      assert.equal(typeof report.verdict.verdict, 'string', 'the report screen has a report to show');
      assert.equal((p.db.prepare('SELECT verdict FROM runs WHERE id = ?').get(s.runId) as { verdict: string }).verdict, report.verdict.verdict);
      const images = reviewImages(p, s.runId, { minScore: 0.5 });
      assert.equal(images.length, new Set(results.map((x) => x.image_id)).size);
      assert.ok(images.every((i) => i.fp === 0 && i.fn === 0 && i.tp > 0), 'the review screen matches them to the labels');
      assert.equal((p.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n, 2);
    } finally {
      p.close();
    }
  });

  test('bad imports refuse with the reason and change nothing', async () => {
    const dir = await fixtureProject();
    const out = join(tempDir(), 'd2');
    assert.equal((await cli('export-run', dir, out, '--engine', 'detectron2')).code, 0);
    const file = join(out, 'output', 'coco_instances_results.json');
    mkdirSync(join(out, 'output'));
    const good = perfectResults(out);
    const before = state(dir);
    const cases: [string, unknown, RegExp][] = [
      ['results for other images', [...good, { ...good[0], image_id: 9999 }], /not in this run's val split \(image ids 9999\)/],
      ['unknown category ids', [...good, { ...good[0], category_id: 42 }], /category ids this run does not have: 42/],
      ['malformed entries', [{ image_id: good[0].image_id, bbox: [1, 2] }], /not detections/],
      ['not a list', { annotations: [] }, /not a COCO results list/],
    ];
    for (const [what, content, message] of cases) {
      writeFileSync(file, JSON.stringify(content));
      const r = await cli('import-run', dir, out);
      assert.equal(r.code, 1, what);
      assert.match(r.err, message, what);
      assert.equal(state(dir), before, `${what}: nothing changed`);
    }
    writeFileSync(file, '{ torn');
    assert.equal((await cli('import-run', dir, out)).code, 1);
    assert.equal(state(dir), before);

    // An export of another project (here one holding only the fixture's train images) is refused.
    const other = join(tempDir(), 'other');
    const p = Project.create(other);
    await importCoco(p, join(FIXTURES, 'roboflow-mini', 'train', '_annotations.coco.json'));
    p.close();
    writeFileSync(file, JSON.stringify(good));
    const foreign = await cli('import-run', other, out);
    assert.equal(foreign.code, 1);
    assert.match(foreign.err, /not of this project/);
  });

  test('torchvision weights of another class count are refused before anything is written', async () => {
    const dir = await fixtureProject();
    const out = join(tempDir(), 'tv');
    assert.equal((await cli('export-run', dir, out, '--engine', 'torchvision', '--preset', 'tiny')).code, 0);
    const manifest = JSON.parse(readFileSync(join(out, 'fieldwork-run.json'), 'utf8')) as RunManifest;
    mkdirSync(join(out, 'output'));
    writeFileSync(join(out, 'output', 'coco_instances_results.json'), JSON.stringify(perfectResults(out)));
    const model = new MaskRcnn(buildMaskRcnnOptions(manifest.config, 3));
    const params = new Map([...model.store.params].map(([n, v]) => [n, { shape: v.variable.shape, data: v.variable.dataSync() as Float32Array }]));
    model.dispose();
    writeSafetensors(join(out, 'output', 'model_final.safetensors'), toTorchvisionState(params, manifest.config));
    const before = state(dir);
    const r = await cli('import-run', dir, out);
    assert.equal(r.code, 1);
    assert.match(r.err, /weights for 3 classes; this run has 2/);
    assert.equal(state(dir), before);
  });
});

describe('interop in the app (WorkbenchApi.interop, carried by IPC and the browser mode)', () => {
  test('exportRun and importRun through the Workbench; the runs list changes', async () => {
    const { Workbench } = await import('../../../electron/services/workbench.ts');
    const wb = new Workbench({ userDataDir: tempDir(), resourcesDir: join(FIXTURES, '..', '..', 'resources') });
    const dir = join(tempDir(), 'proj');
    await wb.api.projects.create(dir, 'Scale-out');
    await wb.api.coco.import(join(FIXTURES, 'roboflow-mini'));
    const changes: string[] = [];
    wb.on('projectChanged', (c) => changes.push(c.what));
    const out = join(tempDir(), 'x');
    await assert.rejects(wb.api.interop.exportRun({ engine: 'detectron2', outDir: ' ' }), /Give the folder/);
    const e = await wb.api.interop.exportRun({ engine: 'detectron2', outDir: out, preset: 'r101-gn', norm: 'SyncBN', images: 'absolute' });
    assert.equal(e.categories, 2);
    assert.match(readFileSync(join(out, 'config.yaml'), 'utf8'), /DEPTH: 101[\s\S]*NORM: "SyncBN"/);
    mkdirSync(join(out, 'output'));
    writeFileSync(join(out, 'output', 'coco_instances_results.json'), JSON.stringify(perfectResults(out)));
    const i = await wb.api.interop.importRun(out);
    assert.ok(changes.includes('runs'));
    assert.ok((await wb.api.runs.list()).some((r) => r.id === i.runId && r.status === 'done'));
    const images = await wb.api.review.images(i.runId, {});
    assert.ok(images.length > 0 && images.every((x) => x.errors === 0));
    await wb.api.projects.close();
  });
});
