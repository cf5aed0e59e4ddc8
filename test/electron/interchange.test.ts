import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { main } from '../../electron/cli/fieldwork.ts';
import { listAnnotations } from '../../electron/services/annotations.ts';
import { importCoco } from '../../electron/services/coco_import.ts';
import { detectFormat, importDataset } from '../../electron/services/formats/detect.ts';
import { exportDataset } from '../../electron/services/formats/export.ts';
import { parseYoloLabels, yoloClassNames } from '../../electron/services/formats/yolo.ts';
import { listImages } from '../../electron/services/images.ts';
import { Project } from '../../electron/services/project.ts';
import { datasetStats } from '../../electron/services/stats.ts';
import type { SkippedItem } from '../../electron/api.ts';
import { FIXTURES, SHARED_WAGON, tempDir } from '../helpers/tmp.ts';

const IX = join(FIXTURES, 'interchange');
const newProject = () => Project.create(join(tempDir(), 'p'));
const classCounts = (p: Project) => datasetStats(p).classes.map((c) => `${c.name}:${c.instances}`);

/** Every label line of a YOLO export as numbers, keyed by split/file. */
function yoloLines(root: string): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  for (const split of readdirSync(join(root, 'labels'))) {
    for (const f of readdirSync(join(root, 'labels', split))) {
      const lines = readFileSync(join(root, 'labels', split, f), 'utf8').split(/\r?\n/).filter((l) => l.trim());
      out.set(`${split}/${f}`, lines.map((l) => l.trim().split(/\s+/).map(Number)));
    }
  }
  return out;
}

function assertLinesClose(a: Map<string, number[][]>, b: Map<string, number[][]>, tol: number) {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [k, la] of a) {
    const lb = b.get(k)!;
    assert.equal(la.length, lb.length, k);
    la.forEach((line, i) => {
      assert.equal(line.length, lb[i].length, `${k} line ${i + 1}`);
      line.forEach((v, j) => assert.ok(Math.abs(v - lb[i][j]) <= tol, `${k} line ${i + 1} value ${j}: ${v} vs ${lb[i][j]}`));
    });
  }
}

describe('YOLO label parsing edge cases', () => {
  const names = ['a', 'b'];
  const parse = (text: string) => {
    const skipped: SkippedItem[] = [];
    const r = parseYoloLabels(text, 'x.txt', names, skipped);
    return { anns: r.annotations, skipped, clamped: r.clamped };
  };
  test('empty file, CRLF, BOM, boxes and polygons', () => {
    assert.equal(parse('').anns.length, 0);
    assert.equal(parse('\n\n').anns.length, 0);
    const crlf = parse('\uFEFF0 0.5 0.5 0.2 0.4\r\n1 0.1 0.1 0.5 0.1 0.5 0.5\r\n');
    assert.deepEqual(crlf.skipped, []);
    assert.deepEqual(crlf.anns.map((a) => a.className), ['a', 'b']);
    const g0 = (crlf.anns[0].geometry as (w: number, h: number) => unknown)(100, 50);
    assert.deepEqual(g0, { kind: 'box', bbox: [40, 15, 20, 20] });
    const g1 = (crlf.anns[1].geometry as (w: number, h: number) => unknown)(100, 50);
    assert.deepEqual(g1, { kind: 'polygon', rings: [[10, 5, 50, 5, 50, 25]] });
  });
  test('class out of range, odd polygon values, coordinates outside 0–1, junk: each line skipped with its reason', () => {
    const r = parse('2 0.5 0.5 0.1 0.1\n0 0.1 0.1 0.5 0.1 0.5\n0 0.5 0.5 1.7 0.2\n0 x 0.5 0.1 0.1\n-1 0.5 0.5 0.1 0.1\n0 0.5 0.5\n1 1.005 0.5 0.1 0.1\n');
    assert.deepEqual(r.skipped.map((s) => s.annotation), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
    assert.match(r.skipped[0].reason, /class index 2 is out of range \(2 classes declared\)/);
    assert.match(r.skipped[1].reason, /odd number \(5\)/);
    assert.match(r.skipped[2].reason, /outside 0–1/);
    assert.match(r.skipped[3].reason, /not a number/);
    assert.match(r.skipped[4].reason, /not a whole number/);
    assert.match(r.skipped[5].reason, /neither a box/);
    assert.equal(r.anns.length, 1, 'a value just past 1 is rounding: clamped');
    assert.equal(r.clamped, 1);
  });
  test('names as a list, as a map (with a gap), and from classes.txt', () => {
    const warnings: string[] = [];
    assert.deepEqual(yoloClassNames(join(IX, 'yolo-roboflow'), warnings).names, ['wire', 'size<5mm']);
    assert.deepEqual(yoloClassNames(join(IX, 'yolo-ultralytics'), warnings).names, ['scratch', 'dent']);
    const dir = tempDir();
    writeFileSync(join(dir, 'data.yaml'), '\uFEFFnames:\r\n  0: a\r\n  2: c\r\n');
    assert.deepEqual(yoloClassNames(dir, warnings).names, ['a', '1', 'c']);
    assert.ok(warnings.some((w) => w.includes('no entry for class 1')));
    const txt = tempDir();
    writeFileSync(join(txt, 'classes.txt'), 'x\r\ny\r\n');
    assert.deepEqual(yoloClassNames(txt, warnings).names, ['x', 'y']);
    writeFileSync(join(txt, 'data.yaml'), 'names: [a, b');
    assert.throws(() => yoloClassNames(txt, warnings), /data\.yaml: not valid YAML/);
  });
});

describe('YOLO import', () => {
  test('Roboflow layout with quirks: bad lines and an orphan label are reported, the rest imports', async () => {
    assert.equal(detectFormat(join(IX, 'yolo-roboflow')).format, 'yolo');
    const project = newProject();
    const report = await importDataset(project, join(IX, 'yolo-roboflow'));
    assert.equal(report.format, 'yolo');
    assert.equal(report.images, 7);
    assert.deepEqual(report.splits, { train: 6, val: 1, test: 0 });
    // a: 2, crlf: 2, bom: 1, bad: 2 good (line 1 and the clamped line 5), v1: 1
    assert.equal(report.annotations, 8);
    assert.deepEqual(report.skipped!.map((s) => `${s.file}:${s.annotation ?? ''}`).sort(), ['train/labels/bad.txt:line 2', 'train/labels/bad.txt:line 3', 'train/labels/bad.txt:line 4', 'train/labels/orphan.txt:'].sort());
    assert.deepEqual(datasetStats(project).classes.map((c) => c.name), ['wire', 'size<5mm']);
    const images = listImages(project);
    assert.equal(images.find((i) => i.fileName === 'empty.png')!.status, 'done', 'an empty label file means looked at, no objects');
    assert.equal(images.find((i) => i.fileName === 'nolabel.png')!.status, 'unlabelled');
    const a = images.find((i) => i.fileName === 'a_jpg.rf.1.png')!;
    const anns = listAnnotations(project, a.id);
    assert.deepEqual(anns[0].geometry, { kind: 'box', bbox: [12, 6, 8, 12] });
    assert.equal(anns[1].geometry.kind, 'polygon');
    assert.ok(existsSync(join(project.dir, 'import-report.json')));
    project.close();
  });

  test('--strict refuses the whole import and changes nothing', async () => {
    const project = newProject();
    await assert.rejects(importDataset(project, join(IX, 'yolo-roboflow'), { strict: true }), /yolo import refused \(--strict\), nothing was changed\. 4 problems: .*bad\.txt: bad\.png: line 2: class index 7 is out of range/);
    assert.equal(listImages(project).length, 0);
    assert.equal(datasetStats(project).classes.length, 0);
    project.close();
  });

  test('YOLO → import → export YOLO is identical up to float formatting', async () => {
    const project = newProject();
    const report = await importDataset(project, join(IX, 'yolo-ultralytics'));
    assert.deepEqual(report.skipped, []);
    const out = join(tempDir(), 'y');
    const summary = exportDataset(project, out, { format: 'yolo-seg', copyImages: true });
    assert.equal(summary.annotations, 4);
    // Boxes come back as boxes only in detect exports; compare the detect export line by line for boxes,
    // and the seg export for the polygon file.
    const det = join(tempDir(), 'd');
    exportDataset(project, det, { format: 'yolo' });
    const source = yoloLines(join(IX, 'yolo-ultralytics'));
    const seg = yoloLines(out);
    const detLines = yoloLines(det);
    for (const [k, lines] of source) {
      const mine = lines.every((l) => l.length === 5) ? detLines.get(k)! : seg.get(k)!;
      assertLinesClose(new Map([[k, lines]]), new Map([[k, mine]]), 1e-6);
    }
    const yaml = parseYaml(readFileSync(join(out, 'data.yaml'), 'utf8'));
    assert.deepEqual(yaml.names, { 0: 'scratch', 1: 'dent' });
    assert.equal(yaml.train, 'images/train');
    assert.ok(existsSync(join(out, 'images', 'train', 't1.png')));
    assert.equal(readFileSync(join(out, 'labels', 'train', 't3.txt'), 'utf8'), '', 'an empty label file stays empty');
    project.close();
  });

  test('COCO → YOLO seg → import keeps every polygon within 0.5 px and every class', async () => {
    const first = newProject();
    await importCoco(first, join(FIXTURES, 'roboflow-mini'));
    const out = join(tempDir(), 'seg');
    exportDataset(first, out, { format: 'yolo-seg', copyImages: true });
    const second = newProject();
    const report = await importDataset(second, out);
    assert.deepEqual(report.skipped, []);
    assert.deepEqual(classCounts(second), classCounts(first));
    assert.equal(report.duplicatesAcrossSplits.length, 1, 'the fixture\'s copy across train and val is reported, as by the COCO import');
    assert.ok(report.warnings.some((w) => w.startsWith('WARNING') && w.includes('leaks into training')));
    const byName = (p: Project) => new Map(listImages(p).map((i) => [`${i.split}/${i.fileName}`, listAnnotations(p, i.id)]));
    const a = byName(first), b = byName(second);
    let checked = 0;
    for (const [k, anns] of a) {
      const other = b.get(k)!;
      assert.equal(other.length, anns.filter((x) => x.geometry.kind === 'polygon').reduce((n, x) => n + (x.geometry as { rings: number[][] }).rings.length, 0) + anns.filter((x) => x.geometry.kind !== 'polygon').length, k);
      const rings = anns.flatMap((x) => (x.geometry.kind === 'polygon' ? x.geometry.rings : []));
      const back = other.flatMap((x) => (x.geometry.kind === 'polygon' ? x.geometry.rings : []));
      rings.forEach((ring, i) => {
        assert.equal(ring.length, back[i].length);
        ring.forEach((v, j) => assert.ok(Math.abs(v - back[i][j]) <= 0.5, `${k} ring ${i}: ${v} vs ${back[i][j]}`));
        checked++;
      });
    }
    assert.ok(checked >= 40, `${checked} polygons compared`);
    first.close();
    second.close();
  });

  test('brush masks are traced into polygons; holes are reported lost', async () => {
    const project = newProject();
    await importDataset(project, join(IX, 'yolo-ultralytics'));
    const img = listImages(project).find((i) => i.fileName === 't3.png')!;
    const { rleFromMask } = await import('../../trainer/common/rle.ts');
    const { applyOps } = await import('../../electron/services/annotations.ts');
    const mask = new Uint8Array(24 * 32);
    for (let y = 2; y < 20; y++) for (let x = 2; x < 20; x++) if (!(y >= 8 && y < 12 && x >= 8 && x < 12)) mask[y * 32 + x] = 1;
    const classId = datasetStats(project).classes[0].classId;
    applyOps(project, img.id, [{ op: 'create', draft: { classId, geometry: { kind: 'mask', rle: rleFromMask(mask, 24, 32) } } }]);
    const out = join(tempDir(), 'm');
    const summary = exportDataset(project, out, { format: 'yolo-seg' });
    assert.ok(summary.notes.some((n) => n.startsWith('1 holes lost')), summary.notes.join('\n'));
    const line = readFileSync(join(out, 'labels', 'train', 't3.txt'), 'utf8').trim().split(' ').map(Number);
    assert.deepEqual(line.slice(1), [2 / 32, 2 / 24, 20 / 32, 2 / 24, 20 / 32, 20 / 24, 2 / 32, 20 / 24].map((v) => Number(v.toFixed(6))));
    project.close();
  });
});

describe('Pascal VOC', () => {
  test('import: boxes (1-based pixels), splits from ImageSets, stale filename, escaped names, a broken object reported', async () => {
    assert.equal(detectFormat(join(IX, 'voc')).format, 'voc');
    const project = newProject();
    const report = await importDataset(project, join(IX, 'voc'));
    assert.equal(report.images, 2);
    assert.deepEqual(report.splits, { train: 1, val: 1, test: 0 });
    assert.equal(report.annotations, 3);
    assert.deepEqual(report.skipped!.map((s) => `${s.file}:${s.annotation ?? ''}:${s.reason.slice(0, 20)}`), ['Annotations/2007_000003.xml:object 2:object has no <bndbo', 'Annotations/2007_000003.xml::image file not found']);
    assert.deepEqual(datasetStats(project).classes.map((c) => c.name), ['dog', 'size<5mm']);
    assert.ok(report.warnings.some((w) => w.includes('difficult')));
    const one = listImages(project).find((i) => i.fileName === '2007_000001.png')!;
    assert.deepEqual(listAnnotations(project, one.id)[0].geometry, { kind: 'box', bbox: [0, 0, 16, 12] });
    project.close();
  });

  test('boxes survive VOC both ways', async () => {
    const first = newProject();
    await importCoco(first, join(FIXTURES, 'roboflow-mini'));
    const out = join(tempDir(), 'voc');
    const summary = exportDataset(first, out, { format: 'voc', copyImages: true });
    assert.ok(summary.notes.some((n) => n.includes('masks and polygons are lost')));
    const second = newProject();
    const report = await importDataset(second, out);
    assert.deepEqual(report.skipped, []);
    assert.deepEqual(classCounts(second), classCounts(first));
    const boxes = (p: Project) => listImages(p).map((i) => [i.fileName, i.split, listAnnotations(p, i.id).map((a) => a.bbox)] as const).sort((x, y) => x[0].localeCompare(y[0]));
    const a = boxes(first), b = boxes(second);
    assert.equal(a.length, b.length);
    a.forEach(([name, split, bs], i) => {
      assert.equal(b[i][0], name);
      assert.equal(b[i][1], split);
      bs.forEach((box, j) => box.forEach((v, k) => assert.ok(Math.abs(v - b[i][2][j][k]) <= 1e-3, `${name} box ${j}`)));
    });
    // and back out: the second export's XML equals the first's
    const again = join(tempDir(), 'voc2');
    exportDataset(second, again, { format: 'voc' });
    for (const f of readdirSync(join(out, 'Annotations'))) assert.equal(readFileSync(join(again, 'Annotations', f), 'utf8'), readFileSync(join(out, 'Annotations', f), 'utf8'), f);
    first.close();
    second.close();
  });
});

describe('LabelMe', () => {
  test('import: polygons, rectangles and circles as polygons, group_id parts as one instance, embedded imageData, BOM; lines reported', async () => {
    assert.equal(detectFormat(join(IX, 'labelme')).format, 'labelme');
    const project = newProject();
    const report = await importDataset(project, join(IX, 'labelme'));
    assert.equal(report.images, 2);
    assert.equal(report.annotations, 5);
    assert.deepEqual(report.skipped!.map((s) => `${s.annotation}:${s.reason.slice(0, 24)}`), ['shape 4:shape type "line" is not', 'shape 5:polygon with 2 point(s);']);
    assert.ok(report.warnings.some((w) => w.includes('embedded imageData')));
    assert.deepEqual(datasetStats(project).classes.map((c) => `${c.name}:${c.instances}`), ['blob:3', '<b>:1', 'part:1']);
    const a = listImages(project).find((i) => i.fileName === 'a.png')!;
    const anns = listAnnotations(project, a.id);
    assert.deepEqual(anns[1].geometry, { kind: 'polygon', rings: [[14, 4, 20, 4, 20, 15, 14, 15]] });
    const circle = anns[2].geometry as { rings: number[][] };
    assert.equal(circle.rings[0].length, 64);
    assert.ok(Math.abs(anns[2].area - Math.PI * 16) < 8, `circle area ${anns[2].area}`);
    assert.equal((anns[3].geometry as { rings: number[][] }).rings.length, 2, 'two parts with one group_id are one instance');
    assert.ok(listImages(project).some((i) => i.fileName === 'b.png'));
    project.close();
  });

  test('export → import keeps every shape; boxes become rectangles', async () => {
    const first = newProject();
    await importCoco(first, join(FIXTURES, 'roboflow-mini'));
    const out = join(tempDir(), 'lm');
    exportDataset(first, out, { format: 'labelme', copyImages: true });
    const second = newProject();
    const report = await importDataset(second, out);
    assert.deepEqual(report.skipped, []);
    assert.deepEqual(classCounts(second), classCounts(first));
    const rings = (p: Project) => listImages(p).map((i) => [i.fileName, listAnnotations(p, i.id).map((x) => (x.geometry as { rings: number[][] }).rings)] as const).sort((x, y) => x[0].localeCompare(y[0]));
    assert.deepEqual(rings(second), rings(first));
    first.close();
    second.close();
  });
});

describe('PNG masks export', () => {
  test('instance-id and class-id indexed PNGs with a palette, and classes.txt', async () => {
    const sharp = (await import('sharp')).default;
    const project = newProject();
    await importDataset(project, join(IX, 'yolo-ultralytics'));
    const out = join(tempDir(), 'masks');
    const summary = exportDataset(project, out, { format: 'masks' });
    assert.equal(readFileSync(join(out, 'classes.txt'), 'utf8'), '_background_\nscratch\ndent\n');
    assert.ok(summary.notes.some((n) => n.includes('box-only annotations painted')));
    const meta = await sharp(join(out, 'train', 'instances', 't1.png')).metadata();
    assert.equal(meta.width, 32);
    assert.equal(meta.isPalette, true, 'an indexed PNG');
    // Read the raw indices back from the PNG's IDAT (sharp expands palettes to colours).
    const { inflateSync } = await import('node:zlib');
    const png = readFileSync(join(out, 'train', 'classes', 't1.png'));
    let at = 8;
    const idat: Buffer[] = [];
    while (at < png.length) {
      const len = png.readUInt32BE(at);
      if (png.toString('ascii', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
      at += 12 + len;
    }
    const raw = inflateSync(Buffer.concat(idat));
    const px = (x: number, y: number) => raw[y * 33 + 1 + x];
    // t1: scratch box centred (16, 12) 8×12 → class 1; dent box at cx 0.1 cy 0.2 w 0.3 h 0.2 → class 2
    assert.equal(px(16, 12), 1);
    assert.equal(px(3, 4), 2);
    assert.equal(px(31, 23), 0);
    project.close();
  });
});

describe('CLI import-dataset and export', () => {
  test('detects the format, prints what it found and each skipped item; export writes the format', async () => {
    const dir = join(tempDir(), 'p');
    const lines: string[] = [];
    const out = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(`ERR ${l}`) };
    assert.equal(await main(['create', dir], out), 0);
    assert.equal(await main(['import-dataset', dir, join(IX, 'yolo-roboflow')], out), 0);
    assert.ok(lines.some((l) => l.startsWith('found YOLO: data.yaml')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('imported 7 images and 8 annotations')));
    assert.ok(lines.some((l) => /bad\.txt: bad\.png: line 2: class index 7 is out of range/.test(l)));
    assert.ok(lines.some((l) => l.includes('import-report.json')));
    const exp = join(tempDir(), 'e');
    assert.equal(await main(['export', dir, exp, '--format', 'yolo', '--split', 'val'], out), 0);
    assert.deepEqual(readdirSync(join(exp, 'labels')), ['val']);
    assert.equal(await main(['export', dir, exp, '--format', 'png'], out), 2);
    assert.equal(await main(['import-dataset', dir, join(IX, 'yolo-roboflow'), '--strict'], out), 1);
    assert.ok(lines.some((l) => l.startsWith('ERR fieldwork: yolo import refused (--strict)')));
  });
});

describe('real data round trip (wagon-defects, COCO → YOLO seg → import)', { skip: existsSync(SHARED_WAGON) ? false : 'needs ../shared/datasets/wagon-defects' }, () => {
  test('every image, annotation and class comes back; polygons within 0.5 px', async () => {
    const first = newProject();
    await importCoco(first, SHARED_WAGON);
    const out = join(tempDir(), 'wagon-seg');
    exportDataset(first, out, { format: 'yolo-seg', copyImages: true });
    const second = newProject();
    const report = await importDataset(second, out);
    assert.deepEqual(report.skipped, []);
    assert.deepEqual(classCounts(second), classCounts(first));
    assert.equal(report.duplicatesAcrossSplits.length, (await importCoco(newProject(), SHARED_WAGON)).duplicatesAcrossSplits.length, 'the same identical-images-across-splits warning as the COCO import');
    let worst = 0;
    for (const img of listImages(first)) {
      const twin = listImages(second).find((i) => i.fileName === img.fileName && i.split === img.split)!;
      const ra = listAnnotations(first, img.id).flatMap((x) => (x.geometry.kind === 'polygon' ? x.geometry.rings : []));
      const rb = listAnnotations(second, twin.id).flatMap((x) => (x.geometry.kind === 'polygon' ? x.geometry.rings : []));
      assert.equal(ra.length, rb.length);
      ra.forEach((r, i) => r.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - rb[i][j])))));
    }
    assert.ok(worst <= 0.5, `worst vertex difference ${worst} px`);
    console.log(`wagon round trip: ${report.images} images, ${report.annotations} annotations, worst vertex difference ${worst.toFixed(5)} px`);
    first.close();
    second.close();
  });
});
