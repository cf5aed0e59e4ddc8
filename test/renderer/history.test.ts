import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Annotation, AnnotationOp } from '../../electron/api.ts';
import { UndoStack } from '../../renderer/src/lib/annotate/history.ts';
import { applyOpsLocally, inverseOps, opsForStore, resolveIds } from '../../renderer/src/lib/annotate/ops.ts';
import { fitView, toImage, zoomAt } from '../../renderer/src/lib/annotate/canvas/view-transform.ts';

const box = (id: number, x: number, classId = 1): Annotation => ({
  id, imageId: 7, classId, geometry: { kind: 'box', bbox: [x, 0, 10, 10] }, bbox: [x, 0, 10, 10], area: 100,
  iscrowd: false, source: 'manual', score: null, updatedAt: '',
});

describe('undo stack', () => {
  test('undo and redo walk the same entries; a new edit clears redo', () => {
    const s = new UndoStack();
    s.push({ label: 'a', forward: [], inverse: [] });
    s.push({ label: 'b', forward: [], inverse: [] });
    assert.equal(s.undo()?.label, 'b');
    assert.equal(s.redo()?.label, 'b');
    assert.equal(s.undo()?.label, 'b');
    s.push({ label: 'c', forward: [], inverse: [] });
    assert.equal(s.canRedo, false);
    assert.equal(s.undo()?.label, 'c');
    assert.equal(s.undo()?.label, 'a');
    assert.equal(s.undo(), null);
  });
});

describe('edit operations', () => {
  test('inverse of update restores the old values of the patched fields only', () => {
    const before = [box(1, 0), box(2, 50)];
    const inv = inverseOps([{ op: 'update', id: 2, patch: { classId: 3 } }], before);
    assert.deepEqual(inv, [{ op: 'update', id: 2, patch: { classId: 1 } }]);
  });

  test('a delete is undone by re-creating under the old id; a create by deleting', () => {
    const before = [box(1, 0)];
    const inv = inverseOps([{ op: 'delete', id: 1 }, { op: 'create', id: -1, draft: { classId: 1, geometry: { kind: 'box', bbox: [1, 1, 2, 2] } } }], before);
    assert.deepEqual(inv[0], { op: 'delete', id: -1 });
    assert.equal(inv[1].op, 'create');
    assert.equal((inv[1] as { id: number }).id, 1);
  });

  test('applying ops then their inverse gives back the same shapes', () => {
    const before = [box(1, 0), box(2, 50)];
    const ops: AnnotationOp[] = [
      { op: 'update', id: 1, patch: { geometry: { kind: 'box', bbox: [5, 5, 20, 20] } } },
      { op: 'delete', id: 2 },
    ];
    const after = applyOpsLocally(before, ops, 7);
    assert.deepEqual(after.map((a) => a.bbox), [[5, 5, 20, 20]]);
    const back = applyOpsLocally(after, inverseOps(ops, before), 7);
    assert.deepEqual(back.map((a) => [a.id, a.bbox]).sort(), before.map((a) => [a.id, a.bbox]).sort());
  });

  test('provisional ids: unknown creates go without id (the provisional one as ref), known ones are restored under the stored id', () => {
    const draft = { classId: 1, geometry: { kind: 'box' as const, bbox: [0, 0, 1, 1] as [number, number, number, number] } };
    const first = opsForStore([{ op: 'create', id: -1, draft }], new Map());
    assert.deepEqual(first, [{ op: 'create', draft, ref: -1 }]);
    const map = new Map([[-1, 42]]);
    assert.deepEqual(opsForStore([{ op: 'create', id: -1, draft }], map), [{ op: 'create', id: 42, draft }]);
    assert.deepEqual(resolveIds([{ op: 'delete', id: -1 }, { op: 'delete', id: 5 }], map), [{ op: 'delete', id: 42 }, { op: 'delete', id: 5 }]);
  });
});

describe('view transform', () => {
  test('fit centres the image; zoom keeps the point under the cursor fixed', () => {
    const v = fitView(4000, 3000, 800, 600, 1);
    assert.equal(v.scale, 0.2);
    const before = toImage(v, 123, 456);
    const z = zoomAt(v, 123, 456, 3.7);
    const after = toImage(z, 123, 456);
    assert.ok(Math.abs(before.x - after.x) < 1e-9 && Math.abs(before.y - after.y) < 1e-9);
  });
});

describe('shortcut keys', async () => {
  const { keyOf, DEFAULT_BINDINGS } = await import('../../renderer/src/lib/annotate/shortcut-keys.ts');
  const press = (key: string, mods: Partial<Record<'ctrlKey' | 'shiftKey' | 'altKey' | 'metaKey', boolean>> = {}) =>
    keyOf({ key, ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...mods } as KeyboardEvent);

  test('key presses read as the strings bindings use', () => {
    assert.equal(press('Z', { ctrlKey: true, shiftKey: true }), 'ctrl+shift+z');
    assert.equal(press('z', { metaKey: true }), 'ctrl+z', 'Cmd counts as Ctrl');
    assert.equal(press('?', { shiftKey: true }), '?', 'shift is already in the symbol');
    assert.equal(press('ArrowLeft'), 'arrowleft');
    assert.equal(press('Tab', { shiftKey: true }), 'shift+tab');
    assert.equal(press('Shift', { shiftKey: true }), 'shift');
  });

  test('no key is bound to two actions by default', () => {
    const keys = Object.values(DEFAULT_BINDINGS).flat();
    assert.equal(new Set(keys).size, keys.length);
  });
});

describe('photo levels', async () => {
  const { PhotoCache } = await import('../../renderer/src/lib/annotate/canvas/photo-cache.ts');
  test('the smallest level with at least one source pixel per screen pixel is drawn', () => {
    const levels = ['full', 'half', 'quarter'] as unknown as ImageBitmap[];
    const photo = { imageId: 1, preview: null, levels, ready: Promise.resolve(), previewReady: Promise.resolve(), failed: false };
    assert.equal(PhotoCache.pick(photo, 1.5), 'full');
    assert.equal(PhotoCache.pick(photo, 0.6), 'full');
    assert.equal(PhotoCache.pick(photo, 0.5), 'half');
    assert.equal(PhotoCache.pick(photo, 0.3), 'half');
    assert.equal(PhotoCache.pick(photo, 0.2), 'quarter');
    assert.equal(PhotoCache.pick({ ...photo, levels: [], preview: 'thumb' as unknown as HTMLImageElement }, 0.2), 'thumb');
  });
});
