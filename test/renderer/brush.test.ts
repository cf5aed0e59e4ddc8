// The brush and eraser maths the canvas turns into edits (renderer/src/lib/annotate/canvas/brush.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Annotation, AnnotationOp, Geometry } from '../../electron/api.ts';
import { rleArea, rleFromMask, rleToMask } from '../../trainer/common/rle.ts';
import { brushStroke, eraserStroke, strokeBounds } from '../../renderer/src/lib/annotate/canvas/brush.ts';

const W = 40, H = 30;
const rleOf = (g: Geometry) => {
  assert.equal(g.kind, 'mask');
  return (g as Extract<Geometry, { kind: 'mask' }>).rle;
};
const patched = (op: AnnotationOp) => rleOf((op as Extract<AnnotationOp, { op: 'update' }>).patch.geometry!);

function maskShape(id: number, x0: number, y0: number, w: number, h: number): Annotation {
  const mask = new Uint8Array(W * H);
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) mask[y * W + x] = 1;
  return { id, imageId: 1, classId: 1, geometry: { kind: 'mask', rle: rleFromMask(mask, H, W) }, bbox: [x0, y0, w, h], area: w * h, iscrowd: false, source: 'manual', score: null, updatedAt: '' };
}
const box: Annotation = { ...maskShape(9, 0, 0, 1, 1), geometry: { kind: 'box', bbox: [0, 0, 5, 5] } };

describe('brush and eraser strokes', () => {
  test('the brush makes a new mask, or grows the selected one; a stroke off the image paints nothing', () => {
    const made = brushStroke({ width: W, height: H }, null, [10, 10], 3)!;
    assert.equal(made.target, null);
    assert.equal(made.geometry.kind, 'mask');
    const painted = rleArea(rleOf(made.geometry));
    assert.ok(painted > 20 && painted < 40, `a radius-3 dab covers about 28 px, got ${painted}`);
    assert.equal(brushStroke({ width: W, height: H }, box, [10, 10], 3)!.target, null, 'a selected box is not painted into');

    const shape = maskShape(1, 0, 0, 5, 5);
    const grown = brushStroke({ width: W, height: H }, shape, [20, 20], 2)!;
    assert.equal(grown.target, shape);
    const mask = rleToMask(rleOf(grown.geometry));
    assert.equal(mask[0], 1, 'the old pixels stay');
    assert.equal(mask[20 * W + 20], 1, 'the stroke is added');
    assert.equal(brushStroke({ width: W, height: H }, null, [-50, -50], 2), null);
  });

  test('the eraser updates the masks under the stroke, deletes emptied ones and says why nothing happened', () => {
    const small = maskShape(1, 2, 2, 2, 2), big = maskShape(2, 10, 0, 20, 20), far = maskShape(3, 35, 25, 3, 3);
    const erased = eraserStroke({ width: W, height: H }, [small, big, far], null, [3, 3, 12, 3], 3);
    assert.deepEqual(erased.ops.map((op) => [op.op, (op as { id: number }).id]), [['delete', 1], ['update', 2]]);
    assert.equal(erased.notice, '1 mask erased completely and deleted.');
    const left = rleToMask(patched(erased.ops[1]));
    assert.equal(left[3 * W + 11], 0);
    assert.equal(left[15 * W + 20], 1);

    const onlySelected = eraserStroke({ width: W, height: H }, [small, big], big, [3, 3], 3);
    assert.deepEqual(onlySelected, { ops: [], notice: null }, 'with a mask selected, only it is erased (and it is not under the stroke)');
    assert.deepEqual(eraserStroke({ width: W, height: H }, [far], null, [3, 3], 2), { ops: [], notice: 'The eraser removes mask pixels; there is no mask under this stroke.' });
  });

  test('stroke bounds grow by the radius', () => {
    assert.deepEqual(strokeBounds([5, 6, 9, 2], 2), [3, 0, 11, 8]);
  });
});
