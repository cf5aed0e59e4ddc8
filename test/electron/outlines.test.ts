import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyOps } from '../../electron/services/annotations.ts';
import { createClass } from '../../electron/services/classes.ts';
import { importImages } from '../../electron/services/images.ts';
import { annotationOutlines } from '../../electron/services/outlines.ts';
import { Project } from '../../electron/services/project.ts';
import { tempDir, writeNoiseImage } from '../helpers/tmp.ts';

test('grid outlines: polygons thinned to 48 points, boxes as their box, per image', async () => {
  const src = tempDir();
  const project = Project.create(join(tempDir(), 'p'));
  await writeNoiseImage(join(src, 'a.png'), 200, 200, 1);
  await writeNoiseImage(join(src, 'b.png'), 200, 200, 2);
  const [a, b] = (await importImages(project, [src])).imported;
  const cls = createClass(project, 'dent');
  const circle = Array.from({ length: 100 }, (_, k) => [100 + 50 * Math.cos((k / 100) * 2 * Math.PI), 100 + 50 * Math.sin((k / 100) * 2 * Math.PI)]).flat();
  applyOps(project, a.id, [
    { op: 'create', draft: { classId: cls.id, geometry: { kind: 'polygon', rings: [circle] } } },
    { op: 'create', draft: { classId: cls.id, geometry: { kind: 'box', bbox: [10, 20, 30, 40] } } },
  ]);
  const out = annotationOutlines(project, [a.id, b.id]);
  assert.equal(out[a.id].length, 2);
  assert.equal(out[a.id][0].rings[0].length, 96, '48 points');
  assert.deepEqual(out[a.id][1].rings, [[10, 20, 40, 20, 40, 60, 10, 60]]);
  assert.deepEqual(out[b.id], []);
  assert.throws(() => annotationOutlines(project, ['x' as unknown as number]), /whole numbers/);
  project.close();
});
