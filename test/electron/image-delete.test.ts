// Deleting images: labels and predictions go, bytes stay while a run snapshot may need them, frozen refuses.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importCoco } from '../../electron/services/coco_import.ts';
import { deleteImages, deleteSummary } from '../../electron/services/image_delete.ts';
import { listImages } from '../../electron/services/images.ts';
import { Project } from '../../electron/services/project.ts';
import { setFrozen } from '../../electron/services/splits.ts';
import { datasetStats } from '../../electron/services/stats.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

test('deleting images removes their labels and predictions, and their bytes unless a run may need them', async () => {
  const project = Project.create(join(tempDir(), 'p'));
  await importCoco(project, join(FIXTURES, 'roboflow-mini'));
  const all = listImages(project);
  // c's bytes are its own (the fixture holds one byte-identical copy, whose bytes must stay for the other).
  const [a, b, c] = all.filter((i) => i.annotationCount > 0 && all.filter((j) => j.hash === i.hash).length === 1);
  const before = datasetStats(project).annotations;
  project.db.prepare("INSERT INTO runs (id, created_at, preset, status, train_images, val_images, annotations, snapshot_hash) VALUES ('r1', 'now', 'tiny', 'done', 1, 1, 1, 'x')").run();
  project.db.prepare("INSERT INTO predictions (run_id, image_id, class_name, score, bbox) VALUES ('r1', ?, 'wire', 0.9, '[0,0,1,1]')").run(a.id);
  const fileOf = (id: number) => join(project.dir, (project.db.prepare('SELECT stored_path FROM images WHERE id = ?').get(id) as { stored_path: string }).stored_path);
  const aFile = fileOf(a.id);

  const summary = deleteSummary(project, [a.id, b.id]);
  assert.deepEqual(summary, { images: 2, annotations: a.annotationCount + b.annotationCount, predictions: 1, runsKeepSnapshots: 1 });
  assert.equal(listImages(project).length, 9, 'a summary deletes nothing');
  assert.throws(() => deleteSummary(project, [a.id, 99999]), /1 of these images no longer exist/);
  assert.throws(() => deleteImages(project, []), /Give the ids/);

  setFrozen(project, true);
  assert.throws(() => deleteImages(project, [a.id]), /frozen/);
  setFrozen(project, false);

  deleteImages(project, [a.id, b.id]);
  assert.equal(listImages(project).length, 7);
  assert.equal(datasetStats(project).annotations, before - summary.annotations, 'their labels are gone');
  assert.equal((project.db.prepare('SELECT COUNT(*) AS n FROM predictions').get() as { n: number }).n, 0, 'their predictions are gone');
  assert.ok(existsSync(aFile), 'a run exists: the stored bytes stay for its snapshot');

  project.db.prepare('DELETE FROM runs').run();
  const cFile = fileOf(c.id);
  deleteImages(project, [c.id]);
  assert.ok(!existsSync(cFile), 'no run: bytes nothing points at are removed');
  project.close();
});
