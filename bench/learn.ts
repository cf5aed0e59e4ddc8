// A longer learning run on a real dataset: /work/shared/datasets/wagon-defects (Roboflow COCO export,
// 640×640, 2 classes + the unused placeholder category 0, polygons). Builds a run folder from the
// three split folders (train/, val/, test/ each with _annotations.coco.json) and trains from scratch.
//   npx tsx bench/learn.ts [--out /tmp/fw-wagon] [--epochs 24] [--short-side 320] [--preset cpu]
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CocoDataset } from '../trainer/common/coco.ts';
import { train } from '../trainer/train.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const DATASET = resolve(opt('--dataset', '/work/shared/datasets/wagon-defects'));
if (!existsSync(DATASET)) {
  console.log(`skipped: ${DATASET} is not available (it lives in ../shared on CI and dev machines)`);
  process.exit(0);
}
const out = resolve(opt('--out', '/tmp/fw-wagon'));
const shortSide = Number(opt('--short-side', '320'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// Merge the split exports into one snapshot; ids restart at 0 in each split file, so renumber.
const merged: CocoDataset = { images: [], annotations: [], categories: [] };
let imageId = 1, annId = 1;
for (const [folder, split] of [['train', 'train'], ['val', 'val'], ['test', 'test']] as const) {
  const path = join(DATASET, folder, '_annotations.coco.json');
  const ds = JSON.parse(readFileSync(path, 'utf8')) as CocoDataset;
  if (!merged.categories.length) merged.categories = ds.categories;
  const ids = new Map<number, number>();
  for (const img of ds.images) {
    ids.set(img.id, imageId);
    merged.images.push({ ...img, id: imageId++, file_name: join(DATASET, folder, img.file_name), split });
  }
  for (const a of ds.annotations) merged.annotations.push({ ...a, id: annId++, image_id: ids.get(a.image_id)! });
}
writeFileSync(join(out, 'snapshot.json'), JSON.stringify(merged));
writeFileSync(join(out, 'config.json'), JSON.stringify({
  preset: opt('--preset', 'cpu'),
  input: { trainShortSides: [shortSide - 64, shortSide - 32, shortSide], testShortSide: shortSide, maxSize: Math.round(shortSide * 1.667) },
  // At 320 px (half the export's 640) objects shrink 2×: the paper's 32–512 anchors halved.
  rpn: { anchorSizes: [16, 32, 64, 128, 256] },
  solver: { epochs: Number(opt('--epochs', '24')), evalEveryIterations: Number(opt('--eval-every', '200')), checkpointEveryIterations: 200 },
}, null, 2));

console.log(`run folder ${out}: ${merged.images.length} images, ${merged.annotations.length} annotations`);
const t0 = Date.now();
const end = await train(out, {
  onEvent: (e) => {
    if (e.type === 'progress' && e.iteration % 50 === 0) console.log(`it ${e.iteration}/${e.totalIterations} ${e.imagesPerSecond.toFixed(2)} img/s loss ${e.losses.total.toFixed(3)} eta ${Math.round(e.etaSeconds)} s`);
    if (e.type === 'evaluation') console.log(`val @${e.iteration}: box AP ${e.bbox[0].toFixed(3)} AP50 ${e.bbox[1].toFixed(3)} | mask AP ${e.segm[0].toFixed(3)} AP50 ${e.segm[1].toFixed(3)}`);
    if (e.type === 'started') console.log(`${e.backend}: ${e.configSummary}`);
  },
});
console.log(`${end.type}${end.type === 'failed' ? ': ' + end.reason : ''} after ${((Date.now() - t0) / 60000).toFixed(1)} min`);
