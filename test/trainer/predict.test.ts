// predict: image sources (COCO next to its images or in images/, plain folders) and the mapping of
// detections to COCO results in original pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { detectionsToCoco, imagesFromSource } from '../../trainer/predict.ts';
import { rleToMask, rleArea } from '../../trainer/common/rle.ts';

const root = mkdtempSync(join(tmpdir(), 'fw-predict-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

async function png(path: string, w: number, h: number) {
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: 10, g: 20, b: 30 } } }).png().toFile(path);
}

test('a Roboflow/CVAT export with images in images/ resolves, keeping ids; a folder gets ids by name', async () => {
  const dir = join(root, 'export');
  mkdirSync(join(dir, 'images'), { recursive: true });
  await png(join(dir, 'images', 'b.png'), 30, 20);
  await png(join(dir, 'a.png'), 16, 16);
  writeFileSync(join(dir, 'coco.json'), JSON.stringify({
    images: [{ id: 0, file_name: 'b.png', width: 30, height: 20 }, { id: 7, file_name: 'a.png', width: 16, height: 16 }],
    annotations: [], categories: [{ id: 0, name: 'placeholder' }, { id: 1, name: 'thing' }],
  }));
  const recs = await imagesFromSource(join(dir, 'coco.json'), { categories: [{ id: 1, name: 'thing' }] });
  assert.deepEqual(recs.map((r) => [r.id, r.path]), [[0, join(dir, 'images', 'b.png')], [7, join(dir, 'a.png')]]);
  const folder = await imagesFromSource(join(dir, 'images'), { categories: [] });
  assert.deepEqual(folder.map((r) => [r.id, r.width, r.height]), [[1, 30, 20]]);
});

test('detections map back to original pixels with a pasted RLE mask and COCO category ids', () => {
  const M = 4;
  const det = {
    boxes: Float32Array.from([10, 5, 30, 15]), // in a frame scaled ×0.5 from 80×40 (w×h)
    scores: Float32Array.from([0.87654321]),
    classes: Int32Array.from([2]),
    masks: new Float32Array(M * M).fill(0.9),
    maskSize: M,
  };
  const [r] = detectionsToCoco(det, { id: 42, width: 80, height: 40 }, [20, 40], [{ id: 3, name: 'a' }, { id: 9, name: 'b' }], 0.5);
  assert.equal(r.image_id, 42);
  assert.equal(r.category_id, 9);
  assert.deepEqual(r.bbox, [20, 10, 40, 20]);
  assert.equal(r.score, 0.87654);
  assert.deepEqual(r.segmentation!.size, [40, 80]);
  assert.equal(rleArea(r.segmentation!), 40 * 20);
  const mask = rleToMask(r.segmentation!);
  assert.equal(mask[10 * 80 + 20], 1);
  assert.equal(mask[9 * 80 + 20], 0);
});
