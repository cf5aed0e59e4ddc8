// Splits that cannot leak: copies of one photo share a split; assign is previewed, undoable, keeps the
// import's splits, and never touches a frozen split.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { importCoco } from '../../electron/services/coco_import.ts';
import { importImages, listImages } from '../../electron/services/images.ts';
import { dHash, hammingDistance } from '../../electron/services/perceptual-hash.ts';
import { Project } from '../../electron/services/project.ts';
import { groupImages, roboflowSource, straddlingGroups } from '../../electron/services/split_groups.ts';
import { assignSplits, previewSplits, setFrozen, setSplit, splitState, undoSplits } from '../../electron/services/splits.ts';
import { Workbench } from '../../electron/services/workbench.ts';
import { FIXTURES, SHARED_WAGON, tempDir, writeNoiseImage } from '../helpers/tmp.ts';

const RATIOS = { train: 0.8, val: 0.1, test: 0.1 };
const splitsOf = (project: Project) => Object.fromEntries(listImages(project).map((i) => [i.fileName, i.split]));

describe('grouping copies of one photo', () => {
  test('Roboflow source names, and dHash distances', async () => {
    assert.equal(roboflowSource('WhatsApp-Image-2024_jpg.rf.757c5598a4f25553e050523ffd7f5d5f.jpg'), 'WhatsApp-Image-2024_jpg');
    assert.equal(roboflowSource('plain-photo.jpg'), null);
    assert.equal(roboflowSource('a.rf.jpg'), null);
    const dir = tempDir();
    const a = await writeNoiseImage(join(dir, 'a.png'), 64, 64, 1);
    const b = await writeNoiseImage(join(dir, 'b.png'), 64, 64, 2);
    const brighter = await sharp(a).linear(1.01, 2).png().toBuffer();
    assert.ok(hammingDistance(await dHash(a), await dHash(brighter)) <= 4, 'a brightness edit keeps the hash');
    assert.ok(hammingDistance(await dHash(a), await dHash(b)) > 16, 'unrelated pictures differ in many bits');
    assert.throws(() => hammingDistance('00', '0000'), /different lengths/);
  });

  test('augmented copies (by name), identical bytes and near-duplicates always land in one split', async () => {
    const src = tempDir();
    const project = Project.create(join(tempDir(), 'p'));
    // 10 source photos × 3 Roboflow copies (different bytes, unrelated pictures), plus a near-duplicate pair
    // with unrelated names, plus 10 singles.
    for (let k = 0; k < 10; k++) {
      for (let c = 0; c < 3; c++) await writeNoiseImage(join(src, `photo${k}_jpg.rf.${(k * 3 + c).toString(16).padStart(32, 'a')}.png`), 32, 32, 100 + k * 3 + c);
    }
    const near = await writeNoiseImage(join(src, 'burst-1.png'), 32, 32, 999);
    await sharp(near).linear(1.01, 1).png().toFile(join(src, 'burst-2.png'));
    for (let k = 0; k < 10; k++) await writeNoiseImage(join(src, `single${k}.png`), 32, 32, 500 + k);
    await importImages(project, [src]);
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const plan = await previewSplits(project, RATIOS, seed);
      assert.equal(plan.units, 10 + 1 + 10);
      assert.equal(plan.groupedImages, 32);
      await assignSplits(project, RATIOS, seed);
      const splits = splitsOf(project);
      for (let k = 0; k < 10; k++) {
        const copies = new Set(Object.entries(splits).filter(([n]) => n.startsWith(`photo${k}_`)).map(([, s]) => s));
        assert.equal(copies.size, 1, `seed ${seed}: photo${k}'s copies in ${[...copies]}`);
      }
      assert.equal(splits['burst-1.png'], splits['burst-2.png'], `seed ${seed}: near-duplicates apart`);
      assert.deepEqual(await straddlingGroups(project), []);
      assert.ok(splitState(project).counts.val > 0 && splitState(project).counts.test > 0);
    }
    project.close();
  });
});

test('a project closed while its images are being hashed: a plain refusal, nothing written to the closed store', async () => {
  const src = tempDir();
  const project = Project.create(join(tempDir(), 'p'));
  for (let k = 0; k < 6; k++) await writeNoiseImage(join(src, `n${k}.png`), 32, 32, 700 + k);
  await importImages(project, [src]);
  project.db.prepare('UPDATE images SET dhash = NULL').run();
  const grouping = groupImages(project);
  project.close();
  await assert.rejects(grouping, (err: Error) => err.name === 'UserError' && /closed while its images were being compared/.test(err.message));
});

describe('assign: confirm, undo, import splits, frozen', () => {
  test('preview changes nothing; assign then undo puts every split back', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    await importCoco(project, join(FIXTURES, 'roboflow-mini'));
    const before = splitsOf(project);
    const state = splitState(project);
    assert.equal(state.fromImport, listImages(project).length, 'every image came with its split');
    assert.ok(listImages(project).every((i) => i.splitOrigin === 'import'));
    // The fixture's valid/ holds a byte-identical copy of a train image: a straddling group.
    const straddling = await straddlingGroups(project);
    assert.equal(straddling.length, 1);
    assert.deepEqual(straddling[0].reasons.includes('identical-bytes'), true);
    assert.deepEqual([...straddling[0].splits].sort(), ['train', 'val']);

    const plan = await previewSplits(project, RATIOS, 3, { keepImported: false });
    assert.deepEqual(splitsOf(project), before, 'a preview writes nothing');
    assert.deepEqual(plan.before, state.counts);
    assert.equal(plan.straddlingBefore, 1);
    assert.equal(plan.straddlingAfter, 0);
    const after = await assignSplits(project, RATIOS, 3, { keepImported: false });
    assert.deepEqual(after.counts, plan.after, 'assign does what the preview said');
    assert.equal(after.undoable, true);
    assert.equal(after.fromImport, listImages(project).filter((i) => i.splitOrigin === 'import').length);
    assert.deepEqual(await straddlingGroups(project), []);
    const undone = undoSplits(project);
    assert.deepEqual(splitsOf(project), before, 'undo restores every split');
    assert.equal(undone.fromImport, state.fromImport, 'and their "from import" marks');
    assert.equal(undone.undoable, false);
    assert.throws(() => undoSplits(project), /nothing|no split change/i);
    project.close();
  });

  test('import splits are kept by default; only the other images are assigned', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    await importCoco(project, join(FIXTURES, 'roboflow-mini'));
    const imported = splitsOf(project);
    const src = tempDir();
    for (let k = 0; k < 20; k++) await writeNoiseImage(join(src, `photo${k}.png`), 32, 32, 700 + k);
    await importImages(project, [src]);
    const plan = await previewSplits(project, RATIOS, 1);
    assert.equal(plan.keptFromImport, Object.keys(imported).length);
    assert.equal(plan.straddlingAfter, 0, 'the straddling copy joins its group');
    await assignSplits(project, RATIOS, 1);
    const now = splitsOf(project);
    let moved = 0;
    for (const [name, split] of Object.entries(imported)) if (now[name] !== split) moved++;
    assert.ok(moved <= 1, `${moved} imported images moved; only the straddling copy may`);
    const photos = listImages(project).filter((i) => i.fileName.startsWith('photo'));
    assert.ok(photos.every((i) => i.splitOrigin === 'assigned'));
    project.close();
  });

  test('a frozen split never changes: assign, hand edits, undo and re-imports are refused or leave it', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    await importCoco(project, join(FIXTURES, 'roboflow-mini'));
    const first = listImages(project)[0];
    setSplit(project, [first.id], 'test');
    assert.equal(listImages(project)[0].splitOrigin, 'manual');
    const before = splitsOf(project);
    setFrozen(project, true);
    await assert.rejects(() => assignSplits(project, RATIOS, 1), /frozen/);
    assert.throws(() => setSplit(project, [first.id], 'train'), /frozen/);
    assert.throws(() => undoSplits(project), /frozen/);
    await importCoco(project, join(FIXTURES, 'roboflow-mini'), { split: 'val' });
    assert.deepEqual(splitsOf(project), before, 're-importing into a frozen project moved no image');
    setFrozen(project, false);
    undoSplits(project);
    assert.equal(listImages(project).find((i) => i.id === first.id)!.split, first.split, 'the hand edit is undone after unfreezing');
    project.close();
  });
});

test('the dataset check warns while copies of one photo straddle splits, and not after an assignment', async () => {
  const wb = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
  await wb.api.projects.create(join(tempDir(), 'p'));
  await wb.api.coco.import(join(FIXTURES, 'roboflow-mini'));
  const warned = await wb.api.runs.check();
  assert.match(warned.notes[0], /1 group of copies of one photo \(2 images, .*\) straddles splits/);
  await wb.api.splits.assign(RATIOS, 1);
  assert.ok(!(await wb.api.runs.check()).notes.some((n) => /straddle/.test(n)), 'the straddling copy joined its group');
  // The check counts every image, not only the labelled ones its snapshot holds.
  const src = tempDir();
  for (let k = 0; k < 3; k++) await writeNoiseImage(join(src, `plain${k}.png`), 32, 32, 300 + k);
  await wb.api.images.import([src]);
  const counted = await wb.api.runs.check();
  assert.equal(counted.images, 12);
  assert.equal(counted.labelledImages, 8);
  wb.close();
});

describe('the wagon-defects export (needs ../shared/datasets/wagon-defects)', { skip: !existsSync(SHARED_WAGON) && 'shared dataset absent' }, () => {
  test('a fresh assignment keeps each source photo\'s Roboflow copies together', async () => {
    const project = Project.create(join(tempDir(), 'p'));
    await importCoco(project, SHARED_WAGON);
    assert.deepEqual(splitState(project).counts, { train: 275, val: 14, test: 10 });
    const kept = await previewSplits(project, RATIOS, 1);
    assert.equal(kept.moved, 0, 'the import\'s split is kept by default');
    assert.equal(kept.straddlingBefore, 0);
    const plan = await previewSplits(project, RATIOS, 1, { keepImported: false });
    assert.equal(plan.units, 133, `134 source photos; one burst pair taken 2 s apart is merged; got ${plan.units}`);
    assert.equal(plan.straddlingAfter, 0);
    await assignSplits(project, RATIOS, 1, { keepImported: false });
    assert.deepEqual(await straddlingGroups(project), []);
    const counts = splitState(project).counts;
    assert.ok(counts.val >= 20 && counts.test >= 20, `val ${counts.val}, test ${counts.test}`);
    project.close();
  });
});
