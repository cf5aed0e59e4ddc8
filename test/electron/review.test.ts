import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { applyOps, listAnnotations } from '../../electron/services/annotations.ts';
import { createClass } from '../../electron/services/classes.ts';
import { importCoco } from '../../electron/services/coco_import.ts';
import { importImages, listImages } from '../../electron/services/images.ts';
import { Project } from '../../electron/services/project.ts';
import { acceptPrediction, correctionCounts, matchImage, predictForReview, rejectPrediction, resetPrediction, reviewImages } from '../../electron/services/review.ts';
import { nodeTrainerLauncher, RunSupervisor } from '../../electron/services/runs.ts';
import { FIXTURES, tempDir, writeImage } from '../helpers/tmp.ts';

/** A project with two images, labels, and a run row with hand-made predictions. */
async function handMade() {
  const src = tempDir();
  await writeImage(join(src, 'a.png'), 100, 100, 1);
  await writeImage(join(src, 'b.png'), 100, 100, 2);
  const project = Project.create(join(tempDir(), 'p'));
  const [a, b] = (await importImages(project, [src])).imported;
  const cat = createClass(project, 'cat');
  const dog = createClass(project, 'dog');
  applyOps(project, a.id, [
    { op: 'create', draft: { classId: cat.id, geometry: { kind: 'box', bbox: [10, 10, 30, 30] } } },
    { op: 'create', draft: { classId: dog.id, geometry: { kind: 'box', bbox: [60, 60, 30, 30] } } },
  ]);
  applyOps(project, b.id, [{ op: 'create', draft: { classId: cat.id, geometry: { kind: 'box', bbox: [5, 5, 20, 20] } } }]);
  project.db.prepare("INSERT INTO runs (id, created_at, preset, status, train_images, val_images, annotations, snapshot_hash) VALUES ('r1', 'now', 'tiny', 'done', 2, 0, 3, 'h')").run();
  const put = project.db.prepare("INSERT INTO predictions (run_id, image_id, class_id, class_name, score, bbox, rle) VALUES ('r1', ?, ?, ?, ?, ?, NULL)");
  const tp = Number(put.run(a.id, cat.id, 'cat', 0.9, JSON.stringify([12, 11, 29, 30])).lastInsertRowid); // IoU ≈ 0.88 with the cat
  const dup = Number(put.run(a.id, cat.id, 'cat', 0.8, JSON.stringify([10, 10, 30, 30])).lastInsertRowid); // same cat again: FP
  const wrongClass = Number(put.run(a.id, cat.id, 'cat', 0.7, JSON.stringify([60, 60, 30, 30])).lastInsertRowid); // on the dog: FP, dog FN
  const low = Number(put.run(b.id, cat.id, 'cat', 0.3, JSON.stringify([5, 5, 20, 20])).lastInsertRowid); // below 0.5
  return { project, a, b, cat, dog, ids: { tp, dup, wrongClass, low } };
}

describe('review', () => {
  test('matches predictions to labels at IoU 0.5, class by class, each label once', async () => {
    const { project, a, b, ids } = await handMade();
    const m = matchImage(project, 'r1', a.id, 0.5);
    assert.deepEqual(m.predictions.map((p) => [p.id, p.match]), [[ids.tp, 'tp'], [ids.dup, 'fp'], [ids.wrongClass, 'fp']]);
    assert.ok(m.predictions[0].iou! > 0.8);
    assert.deepEqual(m.missed.map((x) => x.bbox), [[60, 60, 30, 30]], 'the dog is missed');
    // Image b: its only prediction is under the threshold, so the cat is a miss; at 0.2 it is found.
    assert.equal(matchImage(project, 'r1', b.id, 0.5).missed.length, 1);
    assert.equal(matchImage(project, 'r1', b.id, 0.2).predictions[0].match, 'tp');

    const sorted = reviewImages(project, 'r1', { minScore: 0.5 });
    assert.deepEqual(sorted.map((r) => [r.imageId, r.tp, r.fp, r.fn]), [[a.id, 1, 2, 1], [b.id, 0, 0, 1]], 'errors first');
    assert.deepEqual(reviewImages(project, 'r1', { minScore: 0.2 }).map((r) => r.imageId), [a.id, b.id]);
    project.close();
  });

  test('accept makes a label, reject hides, reset undoes; counts per class', async () => {
    const { project, a, ids } = await handMade();
    const before = listAnnotations(project, a.id).length;
    const label = acceptPrediction(project, ids.wrongClass);
    assert.equal(label.source, 'prediction');
    assert.equal(label.score, 0.7);
    assert.deepEqual(label.geometry, { kind: 'box', bbox: [60, 60, 30, 30] });
    assert.equal(listAnnotations(project, a.id).length, before + 1);
    assert.throws(() => acceptPrediction(project, ids.wrongClass), /already accepted/);
    const afterAccept = matchImage(project, 'r1', a.id, 0.5);
    assert.equal(afterAccept.predictions.find((p) => p.id === ids.wrongClass)!.match, 'tp', 'an accepted prediction is confirmed');
    rejectPrediction(project, ids.dup);
    assert.ok(!matchImage(project, 'r1', a.id, 0.5).predictions.some((p) => p.id === ids.dup), 'rejected predictions leave the view');
    assert.deepEqual(correctionCounts(project, 'r1'), [{ className: 'cat', accepted: 1, rejected: 1, pending: 2 }]);
    resetPrediction(project, ids.wrongClass);
    assert.equal(listAnnotations(project, a.id).length, before, 'reset removes the label the accept made');
    assert.throws(() => rejectPrediction(project, 999), /not pending/);
    project.close();
  });

  test('pre-labels on an image without ground truth are unverified: no FP, no error; rejected ones stay listed', async () => {
    const { project, cat } = await handMade();
    const src = tempDir();
    await writeImage(join(src, 'u.png'), 100, 100, 3);
    const [u] = (await importImages(project, [src])).imported;
    const put = project.db.prepare("INSERT INTO predictions (run_id, image_id, class_id, class_name, score, bbox, rle) VALUES ('r1', ?, ?, 'cat', ?, ?, NULL)");
    const first = Number(put.run(u.id, cat.id, 0.9, JSON.stringify([10, 10, 20, 20])).lastInsertRowid);
    const second = Number(put.run(u.id, cat.id, 0.8, JSON.stringify([50, 50, 20, 20])).lastInsertRowid);
    const m = matchImage(project, 'r1', u.id, 0.5);
    assert.deepEqual(m.predictions.map((p) => p.match), ['unverified', 'unverified']);
    assert.equal(m.missed.length, 0);
    const row = () => reviewImages(project, 'r1', { minScore: 0.5 }).find((r) => r.imageId === u.id)!;
    assert.deepEqual([row().tp, row().fp, row().fn, row().errors, row().unverified, row().pending], [0, 0, 0, 0, 2, 2]);
    // Accepting one moves the image to in progress; its label is that prediction, so the rest stay unverified.
    acceptPrediction(project, second);
    assert.deepEqual(matchImage(project, 'r1', u.id, 0.5).predictions.map((p) => [p.id, p.match, p.status]), [[first, 'unverified', 'pending'], [second, 'tp', 'accepted']]);
    assert.deepEqual([row().accepted, row().fp, row().unverified], [1, 0, 1]);
    assert.equal(matchImage(project, 'r1', u.id, 0.85).predictions[0].match, 'unverified', 'above the accepted one\'s score its label is still no ground truth');
    rejectPrediction(project, first);
    const after = matchImage(project, 'r1', u.id, 0.5);
    assert.deepEqual(after.rejected.map((p) => [p.id, p.status, p.match]), [[first, 'rejected', 'unverified']]);
    assert.deepEqual([row().rejected, row().fp, row().errors], [1, 0, 0]);
    // Marked done with no label of its own, the image is a known negative: a pending prediction there is an FP.
    resetPrediction(project, second);
    resetPrediction(project, first);
    project.db.prepare("UPDATE images SET status = 'done' WHERE id = ?").run(u.id);
    assert.deepEqual(matchImage(project, 'r1', u.id, 0.5).predictions.map((p) => p.match), ['fp', 'fp']);
    assert.equal(row().fp, 2);
    project.close();
  });

  test('predicts with a trained run, then a prediction is accepted as a label (real trainer, tiny preset)', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    await importCoco(project, join(FIXTURES, 'roboflow-mini'));
    const runs = new RunSupervisor(project, nodeTrainerLauncher, () => {});
    const run = await runs.whenFinished(runs.start({ preset: 'tiny', iterations: 4 }).id);
    assert.equal(run.status, 'done', run.error ?? '');
    const result = await predictForReview(project, runs, run.id, { split: 'val' });
    assert.equal(result.images, 3);
    const images = reviewImages(project, run.id, { minScore: 0 });
    assert.ok(images.length > 0, `predictions stored: ${result.predictions}`);
    const { predictions } = matchImage(project, run.id, images[0].imageId, 0);
    const label = acceptPrediction(project, predictions[0].id);
    assert.equal(label.geometry.kind, 'mask');
    assert.ok(label.area > 0);
    assert.ok(listAnnotations(project, images[0].imageId).some((x) => x.id === label.id));
    await assert.rejects(predictForReview(project, runs, run.id, { imageIds: [99999] }), /No image with id 99999/);
    assert.ok(listImages(project).length > 0);
    project.close();
  });
});
