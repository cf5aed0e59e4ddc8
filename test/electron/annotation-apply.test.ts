// annotations.apply answers with what the annotator needs to follow the store: the ids it gave the
// provisional shapes, the created and updated shapes as stored, and the image's summary.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { AnnotationOp } from '../../electron/api.ts';
import { applyEdit, listAnnotations } from '../../electron/services/annotations.ts';
import { createClass } from '../../electron/services/classes.ts';
import { getImage, importImages } from '../../electron/services/images.ts';
import { Project } from '../../electron/services/project.ts';
import { Workbench } from '../../electron/services/workbench.ts';
import { tempDir, writeNoiseImage } from '../helpers/tmp.ts';

const box = (classId: number, x: number): AnnotationOp => ({ op: 'create', draft: { classId, geometry: { kind: 'box', bbox: [x, 0, 4, 4] } } });

async function oneImageProject() {
  const src = tempDir();
  await writeNoiseImage(join(src, 'a.png'), 32, 32, 5);
  const project = Project.create(join(tempDir(), 'p'));
  const [image] = (await importImages(project, [src])).imported;
  return { project, imageId: image.id, classId: createClass(project, 'dent').id };
}

describe('annotations.apply result', () => {
  test('maps each ref to the stored id, returns the touched shapes as stored and the image summary', async () => {
    const { project, imageId, classId } = await oneImageProject();
    assert.equal(getImage(project, imageId).status, 'unlabelled');
    const first = applyEdit(project, imageId, [{ ...box(classId, 0), ref: -1 } as AnnotationOp, { ...box(classId, 10), ref: -2 } as AnnotationOp, box(classId, 20)]);
    const stored = listAnnotations(project, imageId);
    assert.equal(stored.length, 3);
    assert.deepEqual(first.created, [{ ref: -1, id: stored[0].id }, { ref: -2, id: stored[1].id }], 'a create without ref gets no entry');
    assert.deepEqual(first.annotations, stored, 'every created shape, as stored');
    assert.equal(first.annotations[0].area, 16, 'the area is the store\'s');
    assert.deepEqual({ status: first.image.status, count: first.image.annotationCount }, { status: 'in_progress', count: 3 });
    assert.deepEqual(first.image, getImage(project, imageId));

    // Delete one and create one in the same edit: SQLite may hand the freed rowid to the insert, and the
    // mapping says which id the new shape got either way (the old client guessed by set difference).
    const [a, b, c] = stored;
    const second = applyEdit(project, imageId, [
      { op: 'delete', id: c.id },
      { op: 'update', id: a.id, patch: { geometry: { kind: 'box', bbox: [1, 1, 5, 5] } } },
      { ...box(classId, 25), ref: -3 } as AnnotationOp,
    ]);
    const after = listAnnotations(project, imageId);
    const newId = second.created[0].id;
    assert.deepEqual(second.created, [{ ref: -3, id: newId }]);
    assert.ok(after.some((x) => x.id === newId && x.bbox[0] === 25));
    assert.deepEqual(second.annotations.map((x) => x.id), [a.id, newId].sort((p, q) => p - q), 'only the updated and created shapes; not the untouched or deleted');
    assert.deepEqual(second.annotations.find((x) => x.id === a.id)!.bbox, [1, 1, 5, 5]);
    assert.ok(!second.annotations.some((x) => x.id === b.id));
    assert.equal(second.image.annotationCount, 3);

    // A shape created and deleted in one edit is mapped but not returned.
    const third = applyEdit(project, imageId, [{ ...box(classId, 8), id: 500, ref: -4 } as AnnotationOp, { op: 'delete', id: 500 }]);
    assert.deepEqual(third.created, [{ ref: -4, id: 500 }]);
    assert.deepEqual(third.annotations, []);

    // Deleting every shape makes the image unlabelled again, and the answer says so.
    const cleared = applyEdit(project, imageId, listAnnotations(project, imageId).map((x): AnnotationOp => ({ op: 'delete', id: x.id })));
    assert.deepEqual({ status: cleared.image.status, count: cleared.image.annotationCount }, { status: 'unlabelled', count: 0 });
    project.close();
  });

  test('a ref used twice is refused and nothing is written', async () => {
    const { project, imageId, classId } = await oneImageProject();
    assert.throws(() => applyEdit(project, imageId, [{ ...box(classId, 0), ref: -1 } as AnnotationOp, { ...box(classId, 9), ref: -1 } as AnnotationOp]), /ref -1 .*used twice/);
    assert.equal(listAnnotations(project, imageId).length, 0);
    assert.equal(getImage(project, imageId).status, 'unlabelled');
    project.close();
  });

  test('through the WorkbenchApi: the same answer and one projectChanged per apply', async () => {
    const wb = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
    await wb.api.projects.create(join(tempDir(), 'p'));
    const src = tempDir();
    await writeNoiseImage(join(src, 'a.png'), 32, 32, 9);
    await wb.api.images.import([src]);
    const [image] = await wb.api.images.list();
    const cls = await wb.api.classes.create('dent');
    const events: string[] = [];
    const off = wb.on('projectChanged', ({ what }) => events.push(what));
    const result = await wb.api.annotations.apply(image.id, [{ ...box(cls.id, 3), ref: -7 } as AnnotationOp]);
    off();
    assert.deepEqual(events, ['annotations']);
    assert.equal(result.created.length, 1);
    assert.equal(result.created[0].ref, -7);
    assert.deepEqual(result.annotations.map((a) => a.id), [result.created[0].id]);
    assert.equal(result.image.status, 'in_progress');
    assert.equal(result.image.annotationCount, 1);
    wb.close();
  });
});

describe('projects.overview', () => {
  test('reads the parts asked for in one call, the same as their own methods', async () => {
    const wb = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
    await wb.api.projects.create(join(tempDir(), 'p'));
    const src = tempDir();
    for (let k = 0; k < 2; k++) await writeNoiseImage(join(src, `i${k}.png`), 32, 32, 20 + k);
    await wb.api.images.import([src]);
    const [image] = await wb.api.images.list();
    const cls = await wb.api.classes.create('dent');
    await wb.api.annotations.apply(image.id, [box(cls.id, 2)]);
    const all = await wb.api.projects.overview({ images: {}, classes: true, stats: true, splits: true });
    assert.deepEqual(all.images, await wb.api.images.list());
    assert.deepEqual(all.outlines, await wb.api.annotations.outlines([image.id]), 'outlines of the labelled images');
    assert.deepEqual(all.classes, await wb.api.classes.list());
    assert.deepEqual(all.stats, await wb.api.stats.get());
    assert.deepEqual(all.splits, await wb.api.splits.get());
    const some = await wb.api.projects.overview({ images: { status: 'unlabelled' }, stats: true });
    assert.deepEqual(Object.keys(some).sort(), ['images', 'outlines', 'stats']);
    assert.deepEqual(some.images!.map((i) => i.status), ['unlabelled']);
    assert.deepEqual(some.outlines, {});
    await assert.rejects(() => wb.api.projects.overview(null as never), /Say which parts/);
    wb.close();
  });
});
