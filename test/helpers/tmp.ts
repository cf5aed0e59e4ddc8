// Temporary folders and generated images for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const created: string[] = [];

/** A fresh temp folder, removed when the test process exits (one exit listener for all of them). */
export function tempDir(prefix = 'fieldwork-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (created.length === 0) process.on('exit', () => { for (const d of created) rmSync(d, { recursive: true, force: true }); });
  created.push(dir);
  return dir;
}

/** Writes a `width`×`height` image with a colour gradient seeded by `seed` (distinct bytes per seed). */
export async function writeImage(path: string, width: number, height: number, seed = 0, format: 'jpeg' | 'png' | 'webp' = 'png'): Promise<string> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 7 + seed * 31) & 255;
      raw[i + 1] = (y * 5 + seed * 17) & 255;
      raw[i + 2] = (x + y + seed * 13) & 255;
    }
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  await (format === 'jpeg' ? img.jpeg() : format === 'webp' ? img.webp() : img.png()).toFile(path);
  return path;
}

/**
 * Writes seeded random noise: unlike the gradients above (which differ by a shift, so their perceptual hashes
 * agree and splits group them as near-duplicates), two seeds give unrelated pictures.
 */
export async function writeNoiseImage(path: string, width: number, height: number, seed = 0): Promise<string> {
  const raw = Buffer.alloc(width * height * 3);
  let a = (seed + 1) * 0x9e3779b9;
  for (let i = 0; i < raw.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    raw[i] = (t ^ (t >>> 14)) & 255;
  }
  await sharp(raw, { raw: { width, height, channels: 3 } }).png().toFile(path);
  return path;
}

export const SHARED_WAGON = new URL('../../../shared/datasets/wagon-defects/', import.meta.url).pathname;
export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
