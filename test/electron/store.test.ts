import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { applyOps, listAnnotations } from '../../electron/services/annotations.ts';
import { createClass, deleteClass, listClasses, mergeClasses, updateClass } from '../../electron/services/classes.ts';
import { importImages, listImages } from '../../electron/services/images.ts';
import { Project } from '../../electron/services/project.ts';
import { assignSplits, setFrozen, setSplit, splitState } from '../../electron/services/splits.ts';
import { datasetStats } from '../../electron/services/stats.ts';
import { tempDir, writeImage, writeNoiseImage } from '../helpers/tmp.ts';

describe('project store', () => {
  test('create makes the folder layout and a WAL database with foreign keys', () => {
    const dir = join(tempDir(), 'p');
    const project = Project.create(dir, 'Wagons');
    assert.equal(project.info().name, 'Wagons');
    for (const sub of ['images', 'thumbs', 'runs']) assert.ok(statSync(join(dir, sub)).isDirectory());
    assert.equal(project.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(project.db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(project.db.pragma('user_version', { simple: true }), project.info().schemaVersion);
    project.close();
    const again = Project.open(dir);
    assert.equal(again.info().name, 'Wagons');
    again.close();
  });

  test('refuses a non-empty folder, an existing project, and opening a folder without one', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'x');
    assert.throws(() => Project.create(dir), /not empty/);
    const p = join(tempDir(), 'p');
    Project.create(p).close();
    assert.throws(() => Project.create(p), /already exists/);
    assert.throws(() => Project.open(tempDir()), /No Fieldwork project/);
  });

  test('refuses a project written by a newer schema', () => {
    const dir = join(tempDir(), 'p');
    Project.create(dir).close();
    const db = new Database(join(dir, 'project.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => Project.open(dir), /newer Fieldwork/);
  });

  test('resolveInside refuses paths that leave the project', () => {
    const project = Project.create(join(tempDir(), 'p'));
    assert.throws(() => project.resolveInside('../outside.jpg'), /outside the project/);
    assert.throws(() => project.resolveInside('/etc/passwd'), /outside the project/);
    assert.ok(project.resolveInside('images/ab/x.jpg').startsWith(project.dir));
    project.close();
  });
});

describe('image import', () => {
  test('imports JPEG, PNG and WebP from files and folders, once per content', async () => {
    const src = tempDir();
    mkdirSync(join(src, 'nested', 'deeper'), { recursive: true });
    await writeImage(join(src, 'a.png'), 40, 30, 1, 'png');
    await writeImage(join(src, 'nested', 'b.jpg'), 50, 20, 2, 'jpeg');
    await writeImage(join(src, 'nested', 'deeper', 'c.webp'), 16, 16, 3, 'webp');
    copyFileSync(join(src, 'a.png'), join(src, 'nested', 'same-as-a.png'));
    writeFileSync(join(src, 'nested', 'readme.txt'), 'not an image, skipped in folder walks');
    const project = Project.create(join(tempDir(), 'p'));

    const report = await importImages(project, [src]);
    assert.equal(report.imported.length, 3);
    assert.equal(report.alreadyPresent.length, 1, 'the byte-identical copy is not a second image');
    assert.deepEqual(report.failed, []);
    const sizes = report.imported.map((i) => `${i.fileName} ${i.width}x${i.height}`).sort();
    assert.deepEqual(sizes, ['a.png 40x30', 'b.jpg 50x20', 'c.webp 16x16']);
    for (const img of report.imported) {
      const stored = join(project.dir, 'images', img.hash.slice(0, 2));
      assert.ok(existsSync(stored), 'content-addressed folder exists');
      const thumb = await sharp(join(project.dir, 'thumbs', img.hash.slice(0, 2), img.hash + '.jpg')).metadata();
      assert.equal(thumb.format, 'jpeg');
    }

    const again = await importImages(project, [join(src, 'a.png')]);
    assert.equal(again.imported.length, 0);
    assert.equal(again.alreadyPresent[0].imageId, report.imported.find((i) => i.fileName === 'a.png')!.id);
    assert.equal(listImages(project).length, 3);
    project.close();
  });

  test('reports each bad file with its reason while the rest import', async () => {
    const src = tempDir();
    await writeImage(join(src, 'good.jpg'), 64, 48, 5, 'jpeg');
    writeFileSync(join(src, 'empty.jpg'), '');
    writeFileSync(join(src, 'text.jpg'), 'this is not a jpeg at all');
    await writeImage(join(src, 'truncated.jpg'), 96, 96, 6, 'jpeg');
    truncateSync(join(src, 'truncated.jpg'), Math.floor(statSync(join(src, 'truncated.jpg')).size / 2));
    await writeImage(join(src, 'huge.png'), 200, 200, 7, 'png');
    const project = Project.create(join(tempDir(), 'p'));

    const report = await importImages(project, [src, join(src, 'missing.png')], { maxPixels: 100 * 100 });
    assert.deepEqual(report.imported.map((i) => i.fileName), ['good.jpg']);
    const reasons = Object.fromEntries(report.failed.map((f) => [f.path.split('/').pop(), f.reason]));
    assert.match(reasons['empty.jpg'], /empty file/);
    assert.match(reasons['text.jpg'], /not an image/);
    assert.match(reasons['truncated.jpg'], /cannot decode|premature end/i);
    assert.match(reasons['huge.png'], /too large: 200×200 = 0\.04 MP, over the limit of 0\.01 MP/);
    assert.match(reasons['missing.png'], /no such file/);
    assert.equal(listImages(project).length, 1);
    project.close();
  });

  test('applies EXIF orientation to the stored size', async () => {
    const src = tempDir();
    const raw = await sharp({ create: { width: 60, height: 20, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    await sharp(raw).withMetadata({ orientation: 6 }).jpeg().toFile(join(src, 'rotated.jpg'));
    const project = Project.create(join(tempDir(), 'p'));
    const report = await importImages(project, [join(src, 'rotated.jpg')]);
    assert.equal(report.imported[0].width, 20);
    assert.equal(report.imported[0].height, 60);
    const thumb = await sharp(join(project.dir, 'thumbs', report.imported[0].hash.slice(0, 2), report.imported[0].hash + '.jpg')).metadata();
    assert.ok(thumb.height! > thumb.width!, 'thumbnail is upright');
    project.close();
  });
});

async function projectWithImages(n: number) {
  const src = tempDir();
  const project = Project.create(join(tempDir(), 'p'));
  for (let i = 0; i < n; i++) await writeNoiseImage(join(src, `img${String(i).padStart(3, '0')}.png`), 32, 32, i);
  const report = await importImages(project, [src]);
  return { project, images: report.imported };
}

describe('annotations, classes, splits, stats', () => {
  test('each apply is one transaction: a bad op leaves the image as it was', async () => {
    const { project, images } = await projectWithImages(1);
    const cls = createClass(project, 'dent');
    const id = images[0].id;
    const after = applyOps(project, id, [
      { op: 'create', draft: { classId: cls.id, geometry: { kind: 'box', bbox: [1, 2, 10, 5] } } },
      { op: 'create', draft: { classId: cls.id, geometry: { kind: 'polygon', rings: [[0, 0, 10, 0, 10, 10, 0, 10]] } } },
    ]);
    assert.equal(after.length, 2);
    assert.deepEqual(after[0].bbox, [1, 2, 10, 5]);
    assert.equal(after[0].area, 50);
    assert.deepEqual(after[1].bbox, [0, 0, 10, 10]);
    assert.ok(after[1].area >= 90 && after[1].area <= 121, `rasterised polygon area ${after[1].area}`);
    assert.throws(
      () => applyOps(project, id, [
        { op: 'delete', id: after[0].id },
        { op: 'create', draft: { classId: cls.id, geometry: { kind: 'box', bbox: [0, 0, 0, 5] } } },
      ]),
      /non-positive size/,
    );
    assert.deepEqual(listAnnotations(project, id).map((a) => a.id), after.map((a) => a.id), 'the delete was rolled back');
    assert.throws(() => applyOps(project, id, [{ op: 'create', draft: { classId: cls.id, geometry: { kind: 'polygon', rings: [[0, 0, 5, 5, 0, 0]] } } }]), /fewer than 3 distinct points/);
    assert.throws(() => applyOps(project, id, [{ op: 'create', draft: { classId: cls.id, geometry: { kind: 'polygon', rings: [[0, 0, NaN, 5, 9, 9]] } } }]), /NaN/);
    assert.throws(() => applyOps(project, id, [{ op: 'create', draft: { classId: 999, geometry: { kind: 'box', bbox: [0, 0, 2, 2] } } }]), /No class with id 999/);

    // Undo of a delete restores the annotation under its old id.
    const [first] = after;
    applyOps(project, id, [{ op: 'delete', id: first.id }]);
    const restored = applyOps(project, id, [{ op: 'create', id: first.id, draft: { classId: first.classId, geometry: first.geometry } }]);
    assert.ok(restored.some((a) => a.id === first.id));
    project.close();
  });

  test('classes: unique plain-text names, rename, merge and delete with reassignment', async () => {
    const { project, images } = await projectWithImages(2);
    const a = createClass(project, 'scratch');
    const b = createClass(project, 'dent');
    assert.notEqual(a.color, b.color);
    assert.throws(() => createClass(project, 'scratch'), /already exists/);
    const html = createClass(project, '<img src=x onerror=alert(1)>');
    assert.equal(html.name, '<img src=x onerror=alert(1)>', 'names are text, stored as given');
    deleteClass(project, html.id, null);
    assert.throws(() => createClass(project, ' Scratch '), /"scratch" already exists \(names differing only in case/);
    assert.throws(() => createClass(project, '   '), /empty/);
    applyOps(project, images[0].id, [{ op: 'create', draft: { classId: a.id, geometry: { kind: 'box', bbox: [0, 0, 4, 4] } } }]);
    applyOps(project, images[1].id, [{ op: 'create', draft: { classId: b.id, geometry: { kind: 'box', bbox: [0, 0, 4, 4] } } }]);
    assert.equal(updateClass(project, a.id, { name: 'Scratch', color: '#00FF00' }).color, '#00ff00');
    const merged = mergeClasses(project, b.id, a.id);
    assert.equal(merged.instanceCount, 2);
    assert.equal(merged.imageCount, 2);
    const c = createClass(project, 'rust');
    deleteClass(project, a.id, c.id);
    assert.deepEqual(listClasses(project).map((x) => [x.name, x.instanceCount]), [['rust', 2]]);
    deleteClass(project, c.id, null);
    assert.equal(datasetStats(project).annotations, 0);
    project.close();
  });

  test('splits: seeded, stratified, identical images together, frozen means frozen', async () => {
    const { project, images } = await projectWithImages(40);
    const common = createClass(project, 'common');
    const rare = createClass(project, 'rare');
    images.forEach((img, i) => {
      applyOps(project, img.id, [{ op: 'create', draft: { classId: i % 4 === 0 ? rare.id : common.id, geometry: { kind: 'box', bbox: [0, 0, 5, 5] } } }]);
    });
    const state = await assignSplits(project, { train: 0.8, val: 0.1, test: 0.1 }, 7);
    assert.deepEqual(state.counts, { train: 32, val: 4, test: 4 });
    const rareSplits = datasetStats(project).classes.find((c) => c.name === 'rare')!.perSplit;
    assert.deepEqual(rareSplits, { train: 8, val: 1, test: 1 }, 'the rare class reaches every split in proportion');
    const before = listImages(project).map((i) => i.split);
    await assignSplits(project, { train: 0.8, val: 0.1, test: 0.1 }, 7);
    assert.deepEqual(listImages(project).map((i) => i.split), before, 'same seed, same assignment');
    await assignSplits(project, { train: 0.8, val: 0.1, test: 0.1 }, 8);
    assert.notDeepEqual(listImages(project).map((i) => i.split), before, 'another seed, another assignment');

    setFrozen(project, true);
    await assert.rejects(() => assignSplits(project, { train: 1, val: 0, test: 0 }, 1), /frozen/);
    assert.throws(() => setSplit(project, [images[0].id], 'test'), /frozen/);
    assert.equal(splitState(project).frozen, true);
    setFrozen(project, false);
    setSplit(project, [images[0].id], 'test');
    assert.equal(listImages(project).find((i) => i.id === images[0].id)!.split, 'test');
    project.close();
  });

  test('splits keep byte-identical images in one split', async () => {
    const src = tempDir();
    const project = Project.create(join(tempDir(), 'p'));
    for (let i = 0; i < 12; i++) await writeNoiseImage(join(src, `i${i}.png`), 16, 16, i);
    await importImages(project, [src]);
    // Two entries with the same bytes, as COCO imports of augmented exports produce.
    const row = project.db.prepare('SELECT * FROM images LIMIT 1').get() as Record<string, unknown>;
    for (let k = 0; k < 3; k++) {
      project.db.prepare('INSERT INTO images (hash, file_name, stored_path, thumb_path, width, height, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(row.hash, `copy${k}.png`, row.stored_path, row.thumb_path, row.width, row.height, 'now');
    }
    for (const seed of [1, 2, 3, 4, 5]) {
      await assignSplits(project, { train: 0.5, val: 0.25, test: 0.25 }, seed);
      const splits = new Set((project.db.prepare('SELECT split FROM images WHERE hash = ?').all(row.hash) as { split: string }[]).map((r) => r.split));
      assert.equal(splits.size, 1, `seed ${seed}: copies in ${[...splits]}`);
    }
    project.close();
  });

  test('stats count classes per split and unlabelled images', async () => {
    const { project, images } = await projectWithImages(3);
    const a = createClass(project, 'a');
    applyOps(project, images[0].id, [
      { op: 'create', draft: { classId: a.id, geometry: { kind: 'box', bbox: [0, 0, 3, 3] } } },
      { op: 'create', draft: { classId: a.id, geometry: { kind: 'box', bbox: [5, 5, 3, 3] } } },
    ]);
    setSplit(project, [images[0].id], 'val');
    const s = datasetStats(project);
    assert.equal(s.images, 3);
    assert.equal(s.labelledImages, 1);
    assert.equal(s.unlabelledImages, 2);
    assert.equal(s.objectsPerImage, 2);
    assert.deepEqual(s.classes[0].perSplit, { train: 0, val: 2, test: 0 });
    assert.deepEqual(s.perSplit.val, { images: 1, annotations: 2 });
    project.close();
  });

  test('a process killed mid-session loses no committed edit', async () => {
    const { project, images } = await projectWithImages(1);
    const a = createClass(project, 'a');
    applyOps(project, images[0].id, [{ op: 'create', draft: { classId: a.id, geometry: { kind: 'box', bbox: [0, 0, 3, 3] } } }]);
    // No close(): the WAL holds the commit; a fresh connection (as after a crash) must see it.
    const dir = project.dir;
    const reopened = Project.open(dir);
    assert.equal(listAnnotations(reopened, images[0].id).length, 1);
    reopened.close();
    assert.ok(readFileSync(join(dir, 'project.sqlite')).length > 0);
    project.close();
  });
});
