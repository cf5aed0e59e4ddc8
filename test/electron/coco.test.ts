import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import { listAnnotations } from '../../electron/services/annotations.ts';
import { exportCoco } from '../../electron/services/coco_export.ts';
import { importCoco, splitFromName } from '../../electron/services/coco_import.ts';
import { listImages } from '../../electron/services/images.ts';
import { Project } from '../../electron/services/project.ts';
import { datasetStats } from '../../electron/services/stats.ts';
import { decodeRle, rleArea, rleFromMask } from '../../trainer/common/rle.ts';
import { FIXTURES, SHARED_WAGON, tempDir, writeImage } from '../helpers/tmp.ts';

const MINI = join(FIXTURES, 'roboflow-mini');
const newProject = () => Project.create(join(tempDir(), 'p'));
const counts = (p: Project) => {
  const s = datasetStats(p);
  return { images: s.images, annotations: s.annotations, classes: s.classes.map((c) => `${c.name}:${c.instances}`) };
};

describe('COCO import of a Roboflow export folder', () => {
  test('handles the placeholder category, valid/, images/ sub-folder, ids from 0, unlabelled images and copies across splits', async () => {
    const project = newProject();
    const report = await importCoco(project, MINI);
    assert.equal(report.images, 9);
    assert.equal(report.annotations, 42);
    assert.deepEqual(report.splits, { train: 4, val: 3, test: 2 });
    assert.deepEqual(report.perClass, { wire: 23, gunny_bag: 19 });
    assert.deepEqual(report.categoriesSkipped.map((c) => `${c.id}:${c.name}`).sort(), ['0:objects-MgBn', '0:wire']);
    assert.deepEqual(report.missingImages, []);
    assert.equal(report.duplicatesAcrossSplits.length, 1);
    assert.deepEqual([...report.duplicatesAcrossSplits[0].splits].sort(), ['train', 'val']);
    assert.ok(report.warnings.some((w) => w.startsWith('WARNING') && w.includes('leaks into training')));
    assert.ok(report.warnings.some((w) => w.includes('"area" held the box area')));

    const classes = datasetStats(project).classes.map((c) => c.name).sort();
    assert.deepEqual(classes, ['gunny_bag', 'wire'], 'no placeholder class created');
    const images = listImages(project);
    const copy = images.find((i) => i.fileName.startsWith('copy-of-'))!;
    assert.equal(copy.annotationCount, 0);
    assert.equal(copy.status, 'unlabelled');
    assert.equal(copy.split, 'val');
    assert.equal(images.filter((i) => i.status === 'done').length, 8);

    // Areas are true mask areas, not Roboflow's box areas.
    const source = JSON.parse(readFileSync(join(MINI, 'train', '_annotations.coco.json'), 'utf8')) as CocoDataset;
    const first = images.find((i) => i.fileName === source.images[0].file_name)!;
    const stored = listAnnotations(project, first.id);
    const srcAnns = source.annotations.filter((a) => a.image_id === source.images[0].id);
    assert.equal(stored.length, srcAnns.length);
    for (const [i, a] of stored.entries()) {
      assert.deepEqual(a.geometry, { kind: 'polygon', rings: srcAnns[i].segmentation });
      assert.ok(a.area < srcAnns[i].area, `mask area ${a.area} is below the box area ${srcAnns[i].area}`);
    }

    // Importing the same export again adds nothing.
    const again = await importCoco(project, MINI);
    assert.equal(again.images, 0);
    assert.equal(listImages(project).length, 9);
    project.close();
  });

  test('--split overrides folder names, and file names imply splits', async () => {
    const project = newProject();
    const report = await importCoco(project, join(MINI, 'test', '_annotations.coco.json'), { split: 'val' });
    assert.deepEqual(report.splits, { train: 0, val: 2, test: 0 });
    assert.equal(splitFromName('/x/valid/_annotations.coco.json'), 'val');
    assert.equal(splitFromName('/x/annotations/instances_train2017.json'), 'train');
    assert.equal(splitFromName('/x/annotations/instances_val.json'), 'val');
    assert.equal(splitFromName('/x/annotations/instances_default.json'), undefined);
    project.close();
  });
});

/** A CVAT-style export: annotations/instances_default.json with images/ beside it, RLE masks and crowds. */
async function cvatExport(): Promise<{ dir: string; data: CocoDataset }> {
  const dir = tempDir();
  mkdirSync(join(dir, 'annotations'));
  mkdirSync(join(dir, 'images'));
  await writeImage(join(dir, 'images', 'one.png'), 20, 10, 1);
  await writeImage(join(dir, 'images', 'two.png'), 20, 10, 2);
  const mask = new Uint8Array(10 * 20);
  for (let y = 2; y < 6; y++) for (let x = 3; x < 9; x++) mask[y * 20 + x] = 1; // 4×6 = 24 pixels
  mask[0] = 1; // and a lone pixel, so the mask has two parts
  const compressed = rleFromMask(mask, 10, 20);
  const uncompressed = { size: [10, 20] as [number, number], counts: decodeRle(compressed).counts };
  const data: CocoDataset = {
    images: [
      { id: 1, file_name: 'one.png', width: 20, height: 10 },
      { id: 2, file_name: 'two.png', width: 20, height: 10 },
      { id: 3, file_name: 'gone.png', width: 20, height: 10 },
    ],
    categories: [{ id: 1, name: 'blob', supercategory: '' }, { id: 2, name: 'crowd', supercategory: '' }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 9, 6], area: 25, iscrowd: 0, segmentation: compressed },
      { id: 2, image_id: 2, category_id: 2, bbox: [0, 0, 9, 6], area: 25, iscrowd: 1, segmentation: uncompressed },
      { id: 3, image_id: 2, category_id: 1, bbox: [1, 1, 8, 8], area: 20, iscrowd: 0, segmentation: [[1, 1, 5, 1, 5, 4], [10, 1, 18, 1, 18, 8, 10, 8]] },
      { id: 4, image_id: 1, category_id: 1, bbox: [12, 2, 4, 4], area: 16, iscrowd: 0 },
      { id: 5, image_id: 3, category_id: 1, bbox: [12, 2, 4, 4], area: 16, iscrowd: 0 },
    ],
  };
  writeFileSync(join(dir, 'annotations', 'instances_default.json'), JSON.stringify(data));
  return { dir, data };
}

describe('COCO import of masks, crowds and boxes', () => {
  test('compressed and uncompressed RLE become masks, several rings stay one polygon, missing images are listed', async () => {
    const { dir } = await cvatExport();
    const project = newProject();
    const report = await importCoco(project, dir);
    assert.equal(report.images, 2);
    assert.equal(report.annotations, 4);
    assert.equal(report.missingImages.length, 1);
    assert.match(report.missingImages[0].path, /gone\.png/);
    assert.ok(report.warnings.some((w) => w.includes('1 annotations were not imported')));
    const [one, two] = listImages(project);
    const a1 = listAnnotations(project, one.id);
    assert.equal(a1[0].geometry.kind, 'mask');
    assert.equal(a1[0].area, 25);
    assert.deepEqual(a1[0].bbox, [0, 0, 9, 6]);
    assert.deepEqual(a1[1].geometry, { kind: 'box', bbox: [12, 2, 4, 4] });
    const a2 = listAnnotations(project, two.id);
    assert.equal(a2[0].iscrowd, true);
    assert.equal(a2[0].geometry.kind, 'mask');
    assert.equal(rleArea((a2[0].geometry as { rle: { size: [number, number]; counts: string } }).rle), 25);
    assert.equal(a2[1].geometry.kind, 'polygon');
    assert.equal((a2[1].geometry as { rings: number[][] }).rings.length, 2);
    project.close();
  });
});

describe('with --strict, bad COCO input is refused with the item named, and changes nothing', () => {
  const cases: [string, (d: CocoDataset) => unknown, RegExp][] = [
    ['annotation on an unknown image', (d) => d.annotations.push({ ...d.annotations[0], id: 99, image_id: 42 }), /image 42: annotation 99: refers to unknown image 42/],
    ['annotation of an unknown category', (d) => (d.annotations[0].category_id = 7), /annotation 1: refers to unknown category 7/],
    ['polygon with fewer than 3 points', (d) => (d.annotations[2].segmentation = [[1, 1, 5, 1]]), /annotation 3.*fewer than 3 distinct points/],
    ['polygon with NaN', (d) => (d.annotations[2].segmentation = [[1, 1, 5, 1, 'x' as unknown as number, 4]]), /annotation 3.*NaN/],
    ['box with non-positive size', (d) => (d.annotations[3].bbox = [12, 2, 0, 4]), /annotation 4: bbox has non-positive size 0×4/],
    ['class name that is not text', (d) => (d.categories[0].name = 7 as unknown as string), /category 1 name must be text/],
    ['RLE of the wrong size', (d) => ((d.annotations[0].segmentation as { size: number[] }).size = [11, 20]), /annotation 1: mask size 11×20/],
    ['missing annotations list', (d) => delete (d as Partial<CocoDataset>).annotations, /missing "annotations" list/],
    ['missing images list', (d) => delete (d as Partial<CocoDataset>).images, /missing "images" list/],
  ];
  for (const [name, corrupt, message] of cases) {
    test(name, async () => {
      const project = newProject();
      await importCoco(project, MINI);
      const before = counts(project);
      const { dir, data } = await cvatExport();
      corrupt(data);
      writeFileSync(join(dir, 'annotations', 'instances_default.json'), JSON.stringify(data));
      await assert.rejects(importCoco(project, dir, { strict: true }), message);
      assert.deepEqual(counts(project), before);
      project.close();
    });
  }

  test('malformed JSON and paths leaving the dataset folder', async () => {
    const project = newProject();
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.json'), '{"images": [');
    await assert.rejects(importCoco(project, join(dir, 'broken.json')), /broken\.json: not valid JSON/);
    await assert.rejects(importCoco(project, join(dir, 'nothing-here.json')), /no such file/);
    writeFileSync(join(dir, 'escape.json'), JSON.stringify({ images: [{ id: 1, file_name: '../../etc/passwd', width: 5, height: 5 }, { id: 2, file_name: '/etc/hostname', width: 5, height: 5 }], annotations: [], categories: [] }));
    const report = await importCoco(project, join(dir, 'escape.json'));
    assert.equal(report.images, 0);
    assert.deepEqual(report.missingImages.map((m) => m.reason.includes('outside the dataset folder')), [true, true]);
    project.close();
  });
});

describe('lenient COCO import: a bad item never sinks the import', () => {
  test('a mixed file with 3 bad annotations among 50 imports 47 and reports the 3 with reason and location', async () => {
    const dir = tempDir();
    const images = [];
    for (let i = 1; i <= 5; i++) {
      await writeImage(join(dir, `im${i}.png`), 40, 30, i);
      images.push({ id: i, file_name: `im${i}.png`, width: 40, height: 30 });
    }
    const annotations = Array.from({ length: 50 }, (_, k) => ({ id: k + 1, image_id: (k % 5) + 1, category_id: (k % 2) + 1, bbox: [1 + (k % 7), 2, 6, 5], area: 30, iscrowd: 0, segmentation: [[1 + (k % 7), 2, 7 + (k % 7), 2, 7 + (k % 7), 7, 1 + (k % 7), 7]] }));
    annotations[9].segmentation = [[1, 1, 5, 1]]; // 2 points
    annotations[19].category_id = 9; // unknown category
    annotations[29].image_id = 77; // unknown image
    const data = { images, annotations, categories: [{ id: 1, name: 'size<5mm', supercategory: '' }, { id: 2, name: '<b>', supercategory: '' }] };
    writeFileSync(join(dir, 'mixed.json'), JSON.stringify(data));

    const project = newProject();
    const report = await importCoco(project, join(dir, 'mixed.json'));
    assert.equal(report.annotations, 47);
    assert.equal(report.images, 5);
    assert.deepEqual(report.skipped!.map((s) => [s.file, s.annotation, s.image]), [
      ['mixed.json', 'annotation 10', 'image 5 (im5.png)'],
      ['mixed.json', 'annotation 20', 'image 5 (im5.png)'],
      ['mixed.json', 'annotation 30', 'image 77'],
    ]);
    assert.match(report.skipped![0].reason, /fewer than 3 distinct points/);
    assert.match(report.skipped![1].reason, /unknown category 9/);
    assert.match(report.skipped![2].reason, /unknown image 77/);
    assert.deepEqual(datasetStats(project).classes.map((c) => c.name), ['size<5mm', '<b>'], 'class names are stored as given');
    const onDisk = JSON.parse(readFileSync(join(project.dir, 'import-report.json'), 'utf8'));
    assert.equal(onDisk.annotations, 47);
    assert.equal(onDisk.skipped.length, 3);
    assert.equal(report.reportPath, join(project.dir, 'import-report.json'));

    // --strict keeps all-or-nothing, and nothing already in the project changes.
    const before = counts(project);
    await assert.rejects(importCoco(project, join(dir, 'mixed.json'), { strict: true }), /refused \(--strict\), nothing was changed\. 3 problems: mixed\.json: image 5 \(im5\.png\): annotation 10/);
    assert.deepEqual(counts(project), before);
    project.close();
  });

  test('a file that is not COCO at all is refused whole with one line; names differing in case merge with a warning', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'list.json'), '[1, 2]');
    writeFileSync(join(dir, 'noimages.json'), '{"annotations": [], "categories": []}');
    const project = newProject();
    await assert.rejects(importCoco(project, join(dir, 'list.json')), /^UserError: .*list\.json: a COCO file must be a JSON object\.$/);
    await assert.rejects(importCoco(project, join(dir, 'noimages.json')), /missing "images" list/);
    await writeImage(join(dir, 'a.png'), 20, 10, 1);
    const box = (id: number, category_id: number) => ({ id, image_id: 1, category_id, bbox: [1, 1, 4, 4], area: 16, iscrowd: 0 });
    writeFileSync(join(dir, 'cases.json'), JSON.stringify({ images: [{ id: 1, file_name: 'a.png', width: 20, height: 10 }], categories: [{ id: 1, name: 'Wire' }, { id: 2, name: ' wire ' }], annotations: [box(1, 1), box(2, 2)] }));
    const report = await importCoco(project, join(dir, 'cases.json'));
    assert.equal(report.annotations, 2);
    assert.deepEqual(datasetStats(project).classes.map((c) => `${c.name}:${c.instances}`), ['Wire:2']);
    assert.ok(report.warnings.some((w) => w.includes('merged into "Wire"')), report.warnings.join('\n'));
    project.close();
  });
});

describe('COCO export', () => {
  test('contiguous ids, true areas, polygons and RLE kept; export → import → export is identical', async () => {
    const first = newProject();
    await importCoco(first, MINI);
    const { dir } = await cvatExport();
    await importCoco(first, dir);
    const out = tempDir();
    exportCoco(first, join(out, 'a', 'annotations.json'), { imagesDir: join(out, 'a', 'images') });
    const a = JSON.parse(readFileSync(join(out, 'a', 'annotations.json'), 'utf8')) as CocoDataset;
    assert.deepEqual(a.images.map((i) => i.id), a.images.map((_, i) => i + 1));
    assert.deepEqual(a.annotations.map((x) => x.id), a.annotations.map((_, i) => i + 1));
    assert.deepEqual(a.categories.map((c) => [c.id, c.name]), [[1, 'gunny_bag'], [2, 'wire'], [3, 'blob'], [4, 'crowd']]);
    assert.ok(a.images.every((i) => existsSync(join(out, 'a', i.file_name))), 'file names resolve next to the JSON');
    const crowd = a.annotations.find((x) => x.iscrowd === 1)!;
    assert.equal(typeof (crowd.segmentation as { counts: unknown }).counts, 'string', 'masks export as compressed RLE');
    assert.deepEqual(a.annotations.filter((x) => Array.isArray(x.segmentation) && x.segmentation.length === 0).map((x) => x.bbox), [[12, 2, 4, 4]], 'boxes export with an empty segmentation');

    const second = newProject();
    await importCoco(second, join(out, 'a', 'annotations.json'));
    exportCoco(second, join(out, 'b', 'annotations.json'), { imagesDir: join(out, 'b', 'images') });
    const b = JSON.parse(readFileSync(join(out, 'b', 'annotations.json'), 'utf8')) as CocoDataset;
    assert.deepEqual(b, a);
    assert.equal(readFileSync(join(out, 'b', 'annotations.json'), 'utf8'), readFileSync(join(out, 'a', 'annotations.json'), 'utf8'), 'byte for byte');

    const valOnly = exportCoco(first, join(out, 'val.json'), { split: 'val' });
    assert.equal(valOnly.images, 3);
    first.close();
    second.close();
  });
});

describe('the whole wagon-defects export (needs ../shared/datasets/wagon-defects)', { skip: !existsSync(SHARED_WAGON) && 'shared dataset absent' }, () => {
  test('imports 299 images, 1151 annotations, 2 classes, splits 275/14/10, 212 distinct contents; round trip identical', async () => {
    const project = newProject();
    const report = await importCoco(project, SHARED_WAGON);
    assert.equal(report.images, 299);
    assert.equal(report.annotations, 1151);
    assert.deepEqual(report.splits, { train: 275, val: 14, test: 10 });
    assert.deepEqual(report.perClass, { wire: 768, gunny_bag: 383 });
    assert.deepEqual(report.categoriesSkipped.map((c) => c.name), ['objects-MgBn']);
    assert.deepEqual(report.missingImages, []);
    assert.equal(new Set(listImages(project).map((i) => i.hash)).size, 212);
    assert.equal(report.duplicatesAcrossSplits.length, 0, 'Roboflow kept augmentation copies within one split');

    const out = tempDir();
    exportCoco(project, join(out, 'a.json'));
    const a = JSON.parse(readFileSync(join(out, 'a.json'), 'utf8')) as CocoDataset;
    const second = newProject();
    // The export's bare file names resolve against the project's own copies only with images beside them.
    exportCoco(project, join(out, 'with-images', 'a.json'), { imagesDir: join(out, 'with-images', 'images') });
    await importCoco(second, join(out, 'with-images', 'a.json'));
    exportCoco(second, join(out, 'b.json'));
    const b = JSON.parse(readFileSync(join(out, 'b.json'), 'utf8')) as CocoDataset;
    assert.equal(b.annotations.length, 1151);
    assert.deepEqual(b, a);
    assert.equal(readFileSync(join(out, 'b.json'), 'utf8'), readFileSync(join(out, 'a.json'), 'utf8'), 'byte for byte');
    project.close();
    second.close();
  });
});
