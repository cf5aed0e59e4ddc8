// Perceptual hashes for near-duplicate detection: dHash (difference hash, Krawetz 2013) on a small greyscale
// copy of the thumbnail. 64 bits: for each of 8 rows, whether each of 9 pixels is brighter than its right
// neighbour. Small edits (recompression, brightness, a few pixels) flip few bits; a different photo flips ~half.
import sharp from 'sharp';

/** 16 hex digits (64 bits). */
export async function dHash(file: string | Buffer): Promise<string> {
  const { data } = await sharp(file).greyscale().resize(9, 8, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  let hex = '';
  for (let row = 0; row < 8; row++) {
    let byte = 0;
    for (let col = 0; col < 8; col++) byte = (byte << 1) | (data[row * 9 + col] > data[row * 9 + col + 1] ? 1 : 0);
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

const POPCOUNT = Array.from({ length: 256 }, (_, n) => {
  let c = 0;
  for (let v = n; v; v >>= 1) c += v & 1;
  return c;
});

/** Bits that differ between two dHashes. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new Error(`Error in hammingDistance: hashes of different lengths (${a.length}, ${b.length})`);
  let d = 0;
  for (let i = 0; i < a.length; i += 2) d += POPCOUNT[parseInt(a.slice(i, i + 2), 16) ^ parseInt(b.slice(i, i + 2), 16)];
  return d;
}
