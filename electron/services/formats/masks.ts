// PNG mask export: per image an instance-id PNG (0 background, 1…N the image's instances in order) and a
// class-id PNG (0 background, k the k-th class of classes.txt), both 8-bit indexed PNGs with a palette so
// viewers show colours while the pixel values stay the ids (as Pascal VOC's SegmentationClass PNGs are).
// sharp cannot write a PNG with a given palette and given indices, so the few chunks are written here with
// Node's zlib; sharp reads them back in the tests.
import { deflateSync, crc32 } from 'node:zlib';
import type { Annotation } from '../../api.ts';
import { rleFromBbox, rleFromPolygons, rleToMask } from '../../../trainer/common/rle.ts';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** 256 colours: 0 black, then VOC's bit-interleaved palette (distinct, stable colours per index). */
export function vocPalette(): Buffer {
  const pal = Buffer.alloc(256 * 3);
  for (let i = 0; i < 256; i++) {
    let r = 0, g = 0, b = 0, c = i;
    for (let j = 0; j < 8; j++) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    pal[i * 3] = r;
    pal[i * 3 + 1] = g;
    pal[i * 3 + 2] = b;
  }
  return pal;
}

/** An 8-bit indexed PNG of `values` (row-major, width×height). */
export function indexedPng(values: Uint8Array, width: number, height: number, palette = vocPalette()): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: palette
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    raw.set(values.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('PLTE', palette), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Paints an image's annotations; later ones cover earlier ones where they overlap (counted). */
export function paintMasks(anns: Annotation[], classIndex: (a: Annotation) => number, width: number, height: number): { instance: Uint8Array; cls: Uint8Array; overlapped: number; dropped: number } {
  const instance = new Uint8Array(width * height);
  const cls = new Uint8Array(width * height);
  let overlapped = 0, dropped = 0;
  anns.forEach((a, i) => {
    if (i >= 255) {
      dropped++;
      return;
    }
    const g = a.geometry;
    const rle = g.kind === 'mask' ? g.rle : g.kind === 'polygon' ? rleFromPolygons(g.rings, height, width) : rleFromBbox(g.bbox, height, width);
    const m = rleToMask(rle);
    let over = false;
    for (let p = 0; p < m.length; p++) {
      if (!m[p]) continue;
      if (instance[p]) over = true;
      instance[p] = i + 1;
      cls[p] = classIndex(a) + 1;
    }
    if (over) overlapped++;
  });
  return { instance, cls, overlapped, dropped };
}
