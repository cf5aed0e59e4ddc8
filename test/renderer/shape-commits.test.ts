// What a finished drawing gesture does to the model (renderer/src/lib/annotate/canvas/shape-commits.ts),
// against a stand-in session that records the edits it is asked for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Annotation } from '../../electron/api.ts';
import type { ImageSession } from '../../renderer/src/lib/annotate/session.svelte.ts';
import { commitBox, commitPolygon, commitStroke, type CommitHost } from '../../renderer/src/lib/annotate/canvas/shape-commits.ts';

function standIn(classId: number | null = 3) {
  const created: unknown[] = [];
  const edits: unknown[] = [];
  const notices: string[] = [];
  const session = {
    image: { id: 1, width: 100, height: 80 },
    annotations: [] as Annotation[],
    selected: null,
    create: (shape: unknown, label: string) => created.push({ shape, label }),
    edit: (label: string, ops: unknown[]) => edits.push({ label, ops }),
    setGeometry: () => assert.fail('nothing is selected'),
  } as unknown as ImageSession;
  const host: CommitHost = { classForNewShape: async () => classId, notice: (text) => void notices.push(text) };
  return { session, host, created, edits, notices };
}

test('a drawn box is clipped to the image, rounded to 0.01 px and created in the new-shape class', async () => {
  const s = standIn();
  await commitBox(s.host, s.session, 120, 90.123456, 40.5, -10);
  assert.deepEqual(s.created, [{ shape: { classId: 3, geometry: { kind: 'box', bbox: [40.5, 0, 59.5, 80] } }, label: 'Draw box' }]);
  assert.deepEqual(s.notices, []);
});

test('a box under 1 px wide, or outside the image, is refused with a notice and nothing is created', async () => {
  const s = standIn();
  await commitBox(s.host, s.session, 10, 10, 10.5, 40);
  await commitBox(s.host, s.session, 150, 10, 200, 40);
  assert.deepEqual(s.created, []);
  assert.equal(s.notices.length, 2);
  assert.match(s.notices[0], /no area/);
});

test('no class to give it (the user cancelled): nothing is created', async () => {
  const s = standIn(null);
  await commitBox(s.host, s.session, 0, 0, 50, 50);
  await commitStroke(s.host, s.session, [20, 20, 30, 30], 4, false);
  assert.deepEqual(s.created, []);
});

test('a polygon draft closes into a ring; one that cannot close yet says why and stays open', async () => {
  const s = standIn();
  assert.equal(commitPolygon(s.host, s.session, [10, 10, 20, 10]), false, 'two points cannot close');
  assert.match(s.notices[0], /Keep clicking to add points, or Esc to cancel\.$/);
  const taken = commitPolygon(s.host, s.session, [10, 10, 50, 10, 50, 40, 10, 40]);
  assert.notEqual(taken, false);
  await taken;
  assert.equal(s.created.length, 1);
  const { shape, label } = s.created[0] as { shape: { classId: number; geometry: { kind: string; rings: number[][] } }; label: string };
  assert.equal(label, 'Draw polygon');
  assert.equal(shape.geometry.kind, 'polygon');
  assert.deepEqual(shape.geometry.rings, [[10, 10, 50, 10, 50, 40, 10, 40]]);
});

test('a self-crossing polygon is kept, with a warning to fix it', async () => {
  const s = standIn();
  await commitPolygon(s.host, s.session, [10, 10, 60, 40, 60, 10, 10, 30]); // an uneven bow tie: crossing, with area
  assert.equal(s.created.length, 1);
  assert.match(s.notices.at(-1)!, /crosses itself/);
});

test('a brush stroke with nothing selected becomes a new mask; an eraser stroke over nothing edits nothing', async () => {
  const s = standIn();
  await commitStroke(s.host, s.session, [20, 20, 40, 20], 5, false);
  assert.equal(s.created.length, 1);
  assert.equal((s.created[0] as { shape: { geometry: { kind: string } } }).shape.geometry.kind, 'mask');
  await commitStroke(s.host, s.session, [20, 20, 40, 20], 5, true);
  assert.deepEqual(s.edits, []);
});
