import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../../trainer/data/loader.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('trainer image decode', () => {
  test('applies EXIF orientation, so pixels match the frame the labels were drawn in', async () => {
    // 60×20 landscape pixels, left half red, stored with orientation 6 (displayed rotated 90° clockwise: 20×60).
    const raw = Buffer.alloc(60 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 60; x++) raw[(y * 60 + x) * 3] = x < 30 ? 255 : 0;
    const file = join(tempDir(), 'rotated.png');
    await sharp(raw, { raw: { width: 60, height: 20, channels: 3 } }).withMetadata({ orientation: 6 }).png().toFile(file);
    const img = await decodeImage(file);
    assert.equal(img.width, 20);
    assert.equal(img.height, 60);
    // Rotated clockwise, the red left half ends up on top.
    assert.ok(img.data[(5 * 20 + 10) * 3] > 200, 'top is red');
    assert.ok(img.data[(55 * 20 + 10) * 3] < 50, 'bottom is not');
  });
});
