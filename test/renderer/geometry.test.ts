import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rleFromPolygons, rleToMask } from '../../trainer/common/rle.ts';
import { cropMask, maskArea, stampStroke, traceContours } from '../../trainer/common/geometry/mask.ts';
import {
  distinctPointCount,
  insertVertex,
  isSelfIntersecting,
  nearestEdge,
  pointInRings,
  polygonProblem,
  removeVertex,
  signedArea,
  simplifyRing,
} from '../../trainer/common/geometry/polygon.ts';
import { rleToCrop } from '../../renderer/src/lib/geometry/mask-rle.ts';
import { rleFromMask } from '../../trainer/common/rle.ts';

function disk(w: number, h: number, cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) m[y * w + x] = 1;
  return m;
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i] & b[i];
    union += a[i] | b[i];
  }
  return inter / union;
}

describe('polygon helpers', () => {
  const square = [0, 0, 10, 0, 10, 10, 0, 10];

  test('refuses rings with fewer than 3 distinct points or no area', () => {
    assert.equal(distinctPointCount([1, 1, 1, 1, 2, 2]), 2);
    assert.match(polygonProblem([[1, 1, 1, 1, 2, 2]])!, /3 distinct points/);
    assert.match(polygonProblem([[0, 0, 5, 5, 10, 10]])!, /zero area/);
    assert.equal(polygonProblem([square]), null);
  });

  test('signed area is positive clockwise on screen and equals the square', () => {
    assert.equal(signedArea(square), 100);
    assert.equal(signedArea([0, 0, 0, 10, 10, 10, 10, 0]), -100);
  });

  test('flags a bow-tie as self-intersecting but not a square', () => {
    assert.equal(isSelfIntersecting(square), false);
    assert.equal(isSelfIntersecting([0, 0, 10, 10, 10, 0, 0, 10]), true);
  });

  test('inserting on the nearest edge and removing a vertex', () => {
    const hit = nearestEdge(square, 5, 0.5);
    assert.equal(hit.edge, 0);
    assert.ok(Math.abs(hit.distance - 0.5) < 1e-9);
    assert.deepEqual(insertVertex(square, hit.edge, 5, 0), [0, 0, 5, 0, 10, 0, 10, 10, 0, 10]);
    assert.deepEqual(removeVertex(square, 1), [0, 0, 10, 10, 0, 10]);
    assert.equal(removeVertex([0, 0, 10, 0, 10, 10], 0), null, 'a triangle keeps its 3 points');
  });

  test('a ring inside another reads as a hole', () => {
    const hole = [3, 3, 7, 3, 7, 7, 3, 7];
    assert.equal(pointInRings([square, hole], 1, 1), true);
    assert.equal(pointInRings([square, hole], 5, 5), false);
  });

  test('simplification keeps corners and drops collinear points', () => {
    const dense = [0, 0, 5, 0, 10, 0, 10, 5, 10, 10, 5, 10, 0, 10, 0, 5];
    assert.deepEqual(simplifyRing(dense, 0.1), square);
  });
});

describe('masks', () => {
  test('a brush stroke paints a capsule of the expected area, the eraser removes it again', () => {
    const w = 200, h = 100;
    const m = new Uint8Array(w * h);
    stampStroke(m, w, h, [50, 50, 150, 50], 10, 1);
    const expected = 100 * 20 + Math.PI * 100;
    assert.ok(Math.abs(maskArea(m) - expected) / expected < 0.03, `area ${maskArea(m)} vs ${expected}`);
    stampStroke(m, w, h, [50, 50, 150, 50], 12, 0);
    assert.equal(maskArea(m), 0);
  });

  test('contours of a square are its four corners, clockwise', () => {
    const w = 10, h = 10, m = new Uint8Array(w * h);
    for (let y = 2; y < 6; y++) for (let x = 3; x < 8; x++) m[y * w + x] = 1;
    const { outer, holes } = traceContours(m, w, h);
    assert.equal(holes.length, 0);
    assert.equal(outer.length, 1);
    assert.deepEqual([...outer[0]].sort((a, b) => a - b), [2, 2, 3, 3, 6, 6, 8, 8]);
    assert.equal(signedArea(outer[0]), 20);
  });

  test('a ring-shaped mask has one outer contour and one hole', () => {
    const w = 60, h = 60;
    const outerDisk = disk(w, h, 30, 30, 20), innerDisk = disk(w, h, 30, 30, 8);
    const ring = outerDisk.map((v, i) => v & (1 - innerDisk[i]));
    const { outer, holes } = traceContours(ring, w, h, 0.5);
    assert.equal(outer.length, 1);
    assert.equal(holes.length, 1);
    assert.ok(signedArea(holes[0]) < 0);
  });

  test('mask → polygon → mask round trip keeps IoU above 0.95 (pycocotools rasteriser)', () => {
    const w = 120, h = 90;
    const m = disk(w, h, 60, 45, 30);
    const { outer } = traceContours(m, w, h, 0.7);
    assert.equal(outer.length, 1);
    assert.ok(outer[0].length / 2 < 80, `simplified to ${outer[0].length / 2} points`);
    const back = rleToMask(rleFromPolygons(outer, h, w));
    assert.ok(iou(m, back) > 0.95, `IoU ${iou(m, back)}`);
  });

  test('diagonal-touching pixels become separate 4-connected contours', () => {
    const w = 4, h = 4, m = new Uint8Array(w * h);
    m[1 * w + 1] = 1;
    m[2 * w + 2] = 1;
    const { outer } = traceContours(m, w, h);
    assert.equal(outer.length, 2);
    for (const r of outer) assert.equal(signedArea(r), 1);
  });

  test('rleToCrop decodes only the foreground, matching a full decode', () => {
    const w = 50, h = 40;
    const m = disk(w, h, 20, 25, 9);
    const crop = rleToCrop(rleFromMask(m, h, w))!;
    const direct = cropMask(m, w, h)!;
    assert.deepEqual({ x: crop.x, y: crop.y, w: crop.w, h: crop.h }, { x: direct.x, y: direct.y, w: direct.w, h: direct.h });
    assert.deepEqual(crop.data, direct.data);
  });
});
