import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { dHash, hammingDistance } from '../electron/services/perceptual-hash.ts';
const root = '/work/shared/datasets/wagon-defects';
const items: { name: string; stem: string; h: string }[] = [];
for (const s of ['train', 'val', 'test']) for (const f of readdirSync(join(root, s)).filter((f) => f.endsWith('.jpg'))) {
  const thumb = await sharp(join(root, s, f)).resize(256, 256, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer();
  items.push({ name: f, stem: f.replace(/\.rf\..*/, ''), h: await dHash(thumb) });
}
const same: number[] = [], diff: number[] = [];
for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
  const d = hammingDistance(items[i].h, items[j].h);
  (items[i].stem === items[j].stem ? same : diff).push(d);
}
const hist = (a: number[], max: number) => { const h = new Array(max + 1).fill(0); for (const d of a) if (d <= max) h[d]++; return h; };
console.log('same-stem pairs', same.length, 'max', Math.max(...same), 'hist0..12', hist(same, 12).join(' '));
console.log('diff-stem pairs', diff.length, 'min', Math.min(...diff), 'hist0..24', hist(diff, 24).join(' '));
// closest different-stem pairs
const close: [number, string, string][] = [];
for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) if (items[i].stem !== items[j].stem) { const d = hammingDistance(items[i].h, items[j].h); if (d <= 12) close.push([d, items[i].stem, items[j].stem]); }
close.sort((a, b) => a[0] - b[0]);
const uniq = new Map<string, number>(); for (const [d, a, b] of close) { const k = [a, b].sort().join(' | '); if (!uniq.has(k)) uniq.set(k, d); }
console.log([...uniq].slice(0, 40).map(([k, d]) => d + ' ' + k).join('\n'));
