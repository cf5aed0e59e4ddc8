import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReviewImage, ReviewPrediction } from '../../electron/api.ts';
import { candidates, overlaps, placeLabels, type LabelRequest, type Rect } from '../../renderer/src/lib/review/label-placement.ts';
import { FP_COLOR, predictionCaption, predictionStyle } from '../../renderer/src/lib/review/prediction-style.ts';
import { imagesFor, predictionsFor, showCounts } from '../../renderer/src/lib/review/show-filter.ts';

const BOUNDS: Rect = { x: 0, y: 0, w: 400, h: 300 };
const label = (id: number, box: Rect, score: number, priority = 0): LabelRequest => ({ id, box, width: 60, height: 14, priority, score });

function assertNoOverlap(placed: Map<number, Rect>) {
  const rects = [...placed.values()];
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) assert.ok(!overlaps(rects[i], rects[j]), `labels ${i} and ${j} overlap: ${JSON.stringify([rects[i], rects[j]])}`);
    assert.ok(rects[i].x >= 0 && rects[i].y >= 0 && rects[i].x + rects[i].w <= BOUNDS.w && rects[i].y + rects[i].h <= BOUNDS.h, 'inside the canvas');
  }
}

describe('review label placement', () => {
  test('a lone label goes above-left of its box; at the top edge it goes below', () => {
    const { placed, hidden } = placeLabels([label(1, { x: 100, y: 100, w: 80, h: 40 }, 0.9)], BOUNDS);
    assert.deepEqual(placed.get(1), { x: 100, y: 84, w: 60, h: 14 });
    assert.deepEqual(hidden, []);
    assert.equal(placeLabels([label(1, { x: 100, y: 4, w: 80, h: 40 }, 0.9)], BOUNDS).placed.get(1)!.y, 46, 'below-left');
    // at the right edge the label is shifted left to stay on the canvas
    assert.equal(candidates(label(1, { x: 380, y: 100, w: 20, h: 20 }, 0.9), BOUNDS)[0].x, 340);
  });

  test('a stack of near-identical boxes: labels never overlap, the lowest scores are hidden, the selected one always shows', () => {
    const stack = Array.from({ length: 8 }, (_, i) => label(i + 1, { x: 100 + i * 3, y: 100 + i * 2, w: 70, h: 50 }, 0.9 - i * 0.05));
    const { placed, hidden } = placeLabels(stack, BOUNDS);
    assertNoOverlap(placed);
    assert.ok(hidden.length > 0, 'some labels hidden');
    assert.equal(placed.size + hidden.length, 8);
    assert.ok(placed.has(1), 'the best score is placed');
    assert.ok(hidden.every((id) => [...placed.keys()].every((p) => p < id)), `the hidden ones score lower: placed ${[...placed.keys()]}, hidden ${hidden}`);
    // the lowest-score box, when selected, is placed first and wins its spot
    const withSelected = placeLabels(stack.map((r) => (r.id === 8 ? { ...r, priority: 2 } : r)), BOUNDS);
    assert.ok(withSelected.placed.has(8));
    assertNoOverlap(withSelected.placed);
    assert.deepEqual([...withSelected.placed.keys()][0], 8);
  });

  test('separate boxes all keep their labels; a first label with no spot in bounds is clamped in', () => {
    const apart = [label(1, { x: 10, y: 40, w: 50, h: 50 }, 0.9), label(2, { x: 200, y: 40, w: 50, h: 50 }, 0.8), label(3, { x: 10, y: 200, w: 50, h: 50 }, 0.7)];
    const { placed, hidden } = placeLabels(apart, BOUNDS);
    assert.equal(placed.size, 3);
    assert.deepEqual(hidden, []);
    const huge = placeLabels([label(1, { x: 0, y: 0, w: 400, h: 300 }, 0.5)], { x: 0, y: 0, w: 400, h: 10 });
    assert.deepEqual(huge.placed.get(1), { x: 0, y: 0, w: 60, h: 14 });
  });
});

const pred = (over: Partial<ReviewPrediction>): ReviewPrediction => ({
  id: 1, runId: 'r', imageId: 1, classId: 1, className: 'dent', score: 0.87, bbox: [0, 0, 10, 10], rle: null,
  status: 'pending', annotationId: null, match: 'tp', iou: null, ...over,
});

describe('review prediction style and filters', () => {
  test('an unverified pre-label is never drawn as a false positive', () => {
    const unverified = predictionStyle(pred({ match: 'unverified' }));
    assert.equal(unverified.kind, 'unverified');
    assert.notEqual(unverified.color, FP_COLOR);
    assert.notDeepEqual(unverified.dash, predictionStyle(pred({ match: 'fp' })).dash);
    assert.equal(predictionStyle(pred({ match: 'fp' })).color, FP_COLOR);
    assert.equal(predictionStyle(pred({ status: 'accepted' })).kind, 'accepted');
    assert.equal(predictionStyle(pred({ status: 'rejected', match: 'fp' })).kind, 'rejected');
    assert.equal(predictionCaption(pred({})), 'dent 87%');
    assert.equal(predictionCaption(pred({ match: 'unverified' })), 'dent 87% · unverified');
  });

  test('show filter: counts per choice, images and predictions', () => {
    const image = (imageId: number, c: Partial<ReviewImage>): ReviewImage => ({ imageId, fileName: `${imageId}.jpg`, split: 'train', tp: 0, fp: 0, fn: 0, pending: 0, errors: 0, unverified: 0, accepted: 0, rejected: 0, ...c });
    const images = [image(1, { tp: 2, fp: 1, fn: 1, pending: 2, accepted: 1, rejected: 1 }), image(2, { unverified: 3, pending: 3 }), image(3, { fn: 2 })];
    assert.deepEqual(showCounts(images), { open: 6, pending: 5, unverified: 3, accepted: 1, rejected: 1 });
    assert.deepEqual(imagesFor(images, 'rejected').map((i) => i.imageId), [1]);
    assert.deepEqual(imagesFor(images, 'unverified').map((i) => i.imageId), [2]);
    assert.deepEqual(imagesFor(images, 'open').map((i) => i.imageId), [1, 2, 3], 'misses still listed');
    const result = { predictions: [pred({ id: 1 }), pred({ id: 2, status: 'accepted' }), pred({ id: 3, match: 'unverified' })], rejected: [pred({ id: 4, status: 'rejected', match: 'fp' })] };
    assert.deepEqual(predictionsFor(result, 'open').map((p) => p.id), [1, 2, 3]);
    assert.deepEqual(predictionsFor(result, 'pending').map((p) => p.id), [1, 3]);
    assert.deepEqual(predictionsFor(result, 'unverified').map((p) => p.id), [3]);
    assert.deepEqual(predictionsFor(result, 'accepted').map((p) => p.id), [2]);
    assert.deepEqual(predictionsFor(result, 'rejected').map((p) => p.id), [4]);
  });
});
