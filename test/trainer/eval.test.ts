// Hand-built COCOeval vectors. pycocotools cannot be installed here, so every expected number is derived
// in the comments from COCOeval's rules (matching per IoU threshold, 101-point interpolated precision
// envelope, -1 where undefined, mean over defined entries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CocoAnnotation, CocoDataset, CocoResult } from '../../trainer/common/coco.ts';
import { evaluateCoco, formatFixed3, formatSummary, meanDefined } from '../../trainer/eval/coco_eval.ts';
import { runEvalCommand } from '../../trainer/eval/cli.ts';
import { rleFromMask } from '../../trainer/common/rle.ts';

type Box = [number, number, number, number];

function dataset(
  anns: { img?: number; cat?: number; box: Box; crowd?: boolean; area?: number; id?: number; seg?: CocoAnnotation['segmentation'] }[],
  opts: { images?: number[]; cats?: number[]; size?: [number, number] } = {},
): CocoDataset {
  const [h, w] = opts.size ?? [400, 400];
  return {
    images: (opts.images ?? [1]).map((id) => ({ id, file_name: `${id}.jpg`, height: h, width: w })),
    categories: (opts.cats ?? [1]).map((id) => ({ id, name: `class${id}` })),
    annotations: anns.map((a, i) => ({
      id: a.id ?? i + 1,
      image_id: a.img ?? 1,
      category_id: a.cat ?? 1,
      bbox: a.box,
      area: a.area ?? a.box[2] * a.box[3],
      iscrowd: a.crowd ? 1 : 0,
      ...(a.seg ? { segmentation: a.seg } : {}),
    })),
  };
}

const det = (box: Box, score: number, img = 1, cat = 1): CocoResult => ({ image_id: img, category_id: cat, bbox: box, score });

const close = (actual: number, expected: number, msg?: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${msg ?? ''} expected ${expected}, got ${actual}`);

test('perfect match: AP 1 where defined, -1 for the empty medium range; AR@1 = 1/2', () => {
  // small gt (area 100) and large gt (area 10000); exact detections.
  // medium: no non-ignored gt anywhere → -1. maxDets=1 keeps only the top detection → recall 1/2.
  // Note: COCOeval's precision is tp/(tp+fp+eps); with tp=1 that is 1/(1+2^-52) = 0.9999999999999998, so
  // pycocotools itself reports 0.9999999999999998 for the small/large AP here (printed as 1.000).
  const gt = dataset([{ box: [0, 0, 10, 10] }, { box: [50, 50, 100, 100] }]);
  const r = evaluateCoco(gt, [det([0, 0, 10, 10], 0.9), det([50, 50, 100, 100], 0.8)], 'bbox');
  const expected = [1, 1, 1, 1, -1, 1, 0.5, 1, 1, 1, -1, 1];
  r.stats.forEach((v, i) => close(v, expected[i], `stats[${i}]`));
  assert.equal(r.stats[3], 1 / (1 + 2.220446049250313e-16));
  assert.equal(r.stats[0], 1); // tp=2 → 2/(2+eps) rounds to exactly 1 for the all-range rows
  assert.deepEqual({ ...r.perCategory[0], ap: 1, ap50: 1, ap75: 1 }, { categoryId: 1, name: 'class1', ap: 1, ap50: 1, ap75: 1, numGt: 2 });
  close(r.perCategory[0].ap, 1);
});

test('one gt missed: recall 1/2, AP = 51/101 (precision 1 at recall thresholds 0..0.50, 0 beyond)', () => {
  const gt = dataset([{ box: [0, 0, 100, 100] }, { box: [200, 200, 100, 100] }]);
  const r = evaluateCoco(gt, [det([0, 0, 100, 100], 0.9)], 'bbox');
  close(r.stats[0], 51 / 101);
  close(r.stats[1], 51 / 101);
  close(r.stats[8], 0.5);
});

test('no detections at all: AP 0 and AR 0 (not -1) where gt exists', () => {
  const gt = dataset([{ box: [0, 0, 100, 100] }]);
  const r = evaluateCoco(gt, [], 'bbox');
  assert.deepEqual(r.stats, [0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1, 0]);
});

test('duplicate detection is a false positive; greedy matching by score', () => {
  // gt [0,0,100,100]. dt A = [0,0,100,62] score .9 (IoU .62), dt B = exact box score .8.
  // IoU thr .50/.55/.60: A (higher score) takes the gt, B is an FP after it → precision 1 up to recall 1 → AP 1.
  // thr .65…95 (7 of 10): A unmatched (FP) then B TP → rc [0,1], pr [0,.5] → envelope .5 everywhere → AP .5.
  // AP = (3*1 + 7*.5)/10 = .65; AP50 = 1; AP75 = .5.
  const gt = dataset([{ box: [0, 0, 100, 100] }]);
  const r = evaluateCoco(gt, [det([0, 0, 100, 62], 0.9), det([0, 0, 100, 100], 0.8)], 'bbox');
  close(r.stats[0], 0.65);
  close(r.stats[1], 1);
  close(r.stats[2], 0.5);
  // the lower-scored duplicate after a perfect match does not lower AP: rc [1,1], pr [1,.5] → 1
  const r2 = evaluateCoco(gt, [det([0, 0, 100, 100], 0.9), det([0, 0, 100, 100], 0.8)], 'bbox');
  close(r2.stats[0], 1);
});

test('crowd region: detections inside it are ignored, not false positives', () => {
  // regular gt [0,0,50,50]; crowd gt [100,0,100,100]. Two dets inside the crowd (scores .95, .94):
  // IoU with crowd = inter / area(dt) = 1 → matched to an ignored gt → ignored (a crowd absorbs several).
  const anns = [{ box: [0, 0, 50, 50] as Box }, { box: [100, 0, 100, 100] as Box, crowd: true }];
  const dts = [det([110, 10, 30, 30], 0.95), det([150, 50, 20, 20], 0.94), det([0, 0, 50, 50], 0.9)];
  const r = evaluateCoco(dataset(anns), dts, 'bbox');
  close(r.stats[0], 1);
  close(r.stats[8], 1);
  assert.equal(r.perCategory[0].numGt, 1);
  // the same gt without the crowd flag: the .95 and .94 dets become FPs ahead of the TP
  // (IoU 900/10000 and 400/10000 < .5) and the second gt is missed: tp [0,0,1], fp [1,2,2];
  // rc [0,0,.5], pr [0,0,1/3] → envelope 1/3 for recall thr 0…0.5 (51 of 101), 0 beyond → AP = 51/101/3
  const r2 = evaluateCoco(dataset([anns[0], { box: [100, 0, 100, 100] }]), dts, 'bbox');
  close(r2.stats[0], 51 / 101 / 3);
});

test('crowd with a higher-IoU regular gt: a dt matched to a regular gt stops before crowd gts', () => {
  // gt order after sorting: regular first, crowd last. dt exact on the regular gt and fully inside the crowd:
  // it matches the regular gt (IoU 1), then breaks at the ignored crowd → TP, AP 1.
  const gt = dataset([{ box: [0, 0, 200, 200], crowd: true }, { box: [10, 10, 50, 50] }]);
  const r = evaluateCoco(gt, [det([10, 10, 50, 50], 0.9)], 'bbox');
  close(r.stats[0], 1);
});

test('category without gt is excluded (-1) from the means', () => {
  // cat 2 has detections but no gt → npig = 0 → -1; stats equal cat 1 alone.
  const gt = dataset([{ box: [0, 0, 100, 100] }], { cats: [1, 2, 3] });
  const r = evaluateCoco(gt, [det([0, 0, 100, 100], 0.9), det([0, 0, 100, 100], 0.95, 1, 2)], 'bbox');
  close(r.stats[0], 1);
  close(r.perCategory[0].ap, 1);
  assert.deepEqual(
    r.perCategory.slice(1).map((c) => c.ap),
    [-1, -1],
  );
  assert.equal(r.perCategory[1].name, 'class2');
});

test('all three area ranges with a false positive in the medium range', () => {
  // gts: small area 100, medium area 2500 (missed), large area 10000.
  // dts: FP .95 at [300,300,40,40] (area 1600 = medium), small exact .9, large exact .8.
  // small: FP outside range & unmatched → ignored; large det matched to an ignored gt → ignored → AP_s = 1.
  // medium: only the FP counts → precision 0 → AP_m = 0, AR_m = 0.
  // large: FP area 1600 outside → ignored → AP_l = 1.
  // all: [FP, TP, TP], npig 3: rc [0,1/3,2/3], pr [0,.5,2/3] → envelope 2/3 for recall thr 0..0.66 (67 of 101)
  //   → AP = (67/101)*(2/3) at every IoU threshold; AR = 2/3.
  const gt = dataset([{ box: [0, 0, 10, 10] }, { box: [20, 20, 50, 50] }, { box: [100, 100, 100, 100] }]);
  const r = evaluateCoco(gt, [det([300, 300, 40, 40], 0.95), det([0, 0, 10, 10], 0.9), det([100, 100, 100, 100], 0.8)], 'bbox');
  close(r.stats[0], (67 / 101) * (2 / 3));
  close(r.stats[3], 1);
  close(r.stats[4], 0);
  close(r.stats[5], 1);
  close(r.stats[8], 2 / 3);
  close(r.stats[9], 1);
  close(r.stats[10], 0);
  close(r.stats[11], 1);
});

test('gt area range uses the annotation area field, not the box', () => {
  // box 100×100 but area field 500 (a thin polygon, say) → the gt counts as medium, not large.
  const gt = dataset([{ box: [0, 0, 100, 100], area: 500 }]);
  const r = evaluateCoco(gt, [det([0, 0, 100, 100], 0.9)], 'bbox');
  close(r.stats[3], 1); // small: area 500 < 1024
  assert.equal(r.stats[5], -1); // large: no gt
});

test('maxDets 1 / 10 / 100 cut detections per image', () => {
  // 12 gts in one image, 12 exact dets with decreasing scores: AR@1 = 1/12, AR@10 = 10/12, AR@100 = 1.
  const anns = Array.from({ length: 12 }, (_, i) => ({ box: [i * 30, 0, 20, 20] as Box }));
  const dts = anns.map((a, i) => det(a.box, 1 - i * 0.01));
  const r = evaluateCoco(dataset(anns), dts, 'bbox');
  close(r.stats[6], 1 / 12);
  close(r.stats[7], 10 / 12);
  close(r.stats[8], 1);
  close(r.stats[0], 1);
  // with two images, maxDets=1 keeps the top detection of EACH image: 2/13
  const anns2 = [...anns, { img: 2, box: [0, 0, 20, 20] as Box }];
  const r2 = evaluateCoco(dataset(anns2, { images: [1, 2] }), [...dts, det([0, 0, 20, 20], 0.1, 2)], 'bbox');
  close(r2.stats[6], 2 / 13);
});

test('101-point interpolation with the precision envelope: TP, FP, TP over 2 gt → AP = 253/303', () => {
  // scores .9 TP, .8 FP, .7 TP; npig 2. tp [1,1,2], fp [0,1,1] → rc [.5,.5,1], pr [1,.5,2/3]
  // envelope from the right: [1, 2/3, 2/3]. searchsorted(rc, thr, 'left'):
  //   thr 0.00…0.50 (51 values) → index 0 → 1;  thr 0.51…1.00 (50 values) → index 2 → 2/3
  // AP = (51 + 50*2/3)/101 = 253/303 ≈ 0.834983
  const gt = dataset([{ box: [0, 0, 100, 100] }, { box: [200, 0, 100, 100] }]);
  const dts = [det([0, 0, 100, 100], 0.9), det([0, 200, 100, 100], 0.8), det([200, 0, 100, 100], 0.7)];
  const r = evaluateCoco(gt, dts, 'bbox');
  close(r.stats[0], 253 / 303);
  assert.equal(formatFixed3(r.stats[0]), '0.835');
});

test('score ties: stable order, images concatenated in image-id order', () => {
  // one gt in image 2. Equal scores .5: FP in image 1, TP in image 2 → order [FP, TP] → AP .5.
  // Swap which image holds the FP (image 3 > 2) → order [TP, FP] → AP 1.
  const gt = dataset([{ img: 2, box: [0, 0, 100, 100] }], { images: [1, 2, 3] });
  const tp = det([0, 0, 100, 100], 0.5, 2);
  close(evaluateCoco(gt, [det([0, 0, 50, 50], 0.5, 1), tp], 'bbox').stats[0], 0.5);
  close(evaluateCoco(gt, [det([0, 0, 50, 50], 0.5, 3), tp], 'bbox').stats[0], 1);
});

test('segm: polygon gt vs RLE detection, IoU 12/20 = .6 → matched at .50/.55/.60 only → AP .3', () => {
  // gt polygon square [0,4]² on a 10×10 image → pixels x,y ∈ 0..3 (16 px). dt mask: x ∈ 1..4, y ∈ 0..3.
  // intersection 12, union 20 → IoU .6 (≥ thr .6 matches since the test is `iou < thr → skip`).
  const h = 10;
  const w = 10;
  const m = new Uint8Array(h * w);
  for (let y = 0; y < 4; y++) for (let x = 1; x < 5; x++) m[y * w + x] = 1;
  const gt = dataset([{ box: [0, 0, 4, 4], area: 16, seg: [[0, 0, 4, 0, 4, 4, 0, 4]] }], { size: [h, w] });
  const dts: CocoResult[] = [{ image_id: 1, category_id: 1, bbox: [1, 0, 4, 4], score: 0.9, segmentation: rleFromMask(m, h, w) }];
  const r = evaluateCoco(gt, dts, 'segm');
  close(r.stats[0], 0.3);
  close(r.stats[1], 1);
  close(r.stats[2], 0);
  // the same boxes in bbox mode: gt [0,0,4,4] vs dt [1,0,4,4] → inter 12, union 20 → also .6
  close(evaluateCoco(gt, dts, 'bbox').stats[0], 0.3);
});

test('segm: dt area comes from the bbox when results carry boxes (loadRes); mask area on request', () => {
  // gt small square (16 px). Unmatched dt mask of 9 px far away, but its bbox says 40×40 = 1600 (medium).
  // loadRes semantics: area 1600 → outside "small" and unmatched → ignored → AP_small = 1.
  // mask-area semantics (detectron2 strips boxes): area 9 → a small FP ranked first... it has the
  //   higher score → rc [0, 1], pr [0, .5] → AP_small = .5.
  const h = 20;
  const w = 20;
  const far = new Uint8Array(h * w);
  for (let y = 15; y < 18; y++) for (let x = 15; x < 18; x++) far[y * w + x] = 1;
  const near = new Uint8Array(h * w);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) near[y * w + x] = 1;
  const gt = dataset([{ box: [0, 0, 4, 4], area: 16, seg: [[0, 0, 4, 0, 4, 4, 0, 4]] }], { size: [h, w] });
  const dts: CocoResult[] = [
    { image_id: 1, category_id: 1, bbox: [0, 0, 40, 40], score: 0.95, segmentation: rleFromMask(far, h, w) },
    { image_id: 1, category_id: 1, bbox: [0, 0, 4, 4], score: 0.9, segmentation: rleFromMask(near, h, w) },
  ];
  close(evaluateCoco(gt, dts, 'segm').stats[3], 1);
  close(evaluateCoco(gt, dts, 'segm', { dtAreaFrom: 'mask' }).stats[3], 0.5);
});

test('segm: crowd gt given as uncompressed RLE', () => {
  // crowd covers columns 10..19 fully (h=20): uncompressed counts [200, 200]. A dt inside it is ignored.
  const h = 20;
  const w = 20;
  const inCrowd = new Uint8Array(h * w);
  for (let y = 5; y < 8; y++) for (let x = 12; x < 15; x++) inCrowd[y * w + x] = 1;
  const sq = new Uint8Array(h * w);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) sq[y * w + x] = 1;
  const gt = dataset(
    [
      { box: [0, 0, 4, 4], area: 16, seg: [[0, 0, 4, 0, 4, 4, 0, 4]] },
      { box: [10, 0, 10, 20], area: 200, crowd: true, seg: { size: [20, 20], counts: [200, 200] } },
    ],
    { size: [h, w] },
  );
  const dts: CocoResult[] = [
    { image_id: 1, category_id: 1, bbox: [12, 5, 3, 3], score: 0.99, segmentation: rleFromMask(inCrowd, h, w) },
    { image_id: 1, category_id: 1, bbox: [0, 0, 4, 4], score: 0.5, segmentation: rleFromMask(sq, h, w) },
  ];
  close(evaluateCoco(gt, dts, 'segm').stats[0], 1);
});

test('unknown image in results is an input error (loadRes asserts)', () => {
  const gt = dataset([{ box: [0, 0, 10, 10] }]);
  assert.throws(() => evaluateCoco(gt, [det([0, 0, 10, 10], 0.9, 7)], 'bbox'), /image_id 7/);
  assert.throws(() => evaluateCoco(gt, [det([0, 0, 10, 10], 0.9, 1, 9)], 'bbox'), /category_id 9/);
});

test('formatSummary reproduces COCOeval.summarize() lines', () => {
  const text = formatSummary([0.5, 0.75, 0.25, -1, 0.0625, 0.1875, 1, 0, 0.123456, 0.9995, 0.3125, 0.0005], 'bbox');
  const lines = text.split('\n');
  assert.equal(lines.length, 12);
  assert.equal(lines[0], ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500');
  assert.equal(lines[1], ' Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.750');
  assert.equal(lines[2], ' Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.250');
  assert.equal(lines[3], ' Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000');
  // 0.0625 is an exact binary tie: Python rounds half to even → 0.062 (JS toFixed would say 0.063)
  assert.equal(lines[4], ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.062');
  assert.equal(lines[5], ' Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.188');
  assert.equal(lines[6], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000');
  assert.equal(lines[7], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.000');
  assert.equal(lines[8], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.123');
  // 0.9995 and 0.0005 are not exact in binary; both are stored slightly above the tie → 1.000 and 0.001
  assert.equal(lines[9], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 1.000');
  assert.equal(lines[10], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.312');
  assert.equal(lines[11], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.001');
});

test('meanDefined: -1 entries excluded, all -1 → -1', () => {
  assert.equal(meanDefined([-1, -1]), -1);
  assert.equal(meanDefined([-1, 0.5, 1]), 0.75);
  const many = Array.from({ length: 1010 }, (_, i) => (i % 3) / 7);
  close(meanDefined(many), many.reduce((a, b) => a + b, 0) / many.length);
});

// Its speed is measured by bench/eval.ts, not here.
test('scale: 300 images × 100 detections × 3 classes (bbox) evaluates, each image capped at maxDets 100', () => {
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const anns: { img: number; cat: number; box: Box }[] = [];
  const dts: CocoResult[] = [];
  for (let img = 1; img <= 300; img++) {
    for (let j = 0; j < 8; j++) anns.push({ img, cat: 1 + (j % 3), box: [rnd() * 500, rnd() * 500, 10 + rnd() * 200, 10 + rnd() * 200] });
    for (let j = 0; j < 100; j++) dts.push(det([rnd() * 500, rnd() * 500, 10 + rnd() * 200, 10 + rnd() * 200], rnd(), img, 1 + (j % 3)));
  }
  const gt = dataset(anns, { images: Array.from({ length: 300 }, (_, i) => i + 1), cats: [1, 2, 3], size: [800, 800] });
  const r = evaluateCoco(gt, dts, 'bbox');
  assert.equal(r.stats.length, 12);
  // Random boxes: some matches at IoU .5, few at .95; recall with 100 detections ≥ recall with 10.
  assert.ok(r.stats[1] > 0 && r.stats[1] < 1 && r.stats[0] < r.stats[1], `AP ${r.stats[0]} AP50 ${r.stats[1]}`);
  assert.ok(r.stats[8] >= r.stats[7] && r.stats[7] >= r.stats[6], `AR@1/10/100 ${r.stats.slice(6, 9)}`);
});

test('cli: prints the 12 lines and a per-class table; --json; bad input → 2 with one line on stderr', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-eval-'));
  const gtPath = join(dir, 'gt.json');
  const dtPath = join(dir, 'dt.json');
  writeFileSync(gtPath, JSON.stringify(dataset([{ box: [0, 0, 100, 100] }, { box: [200, 200, 100, 100] }], { cats: [1, 2] })));
  writeFileSync(dtPath, JSON.stringify([det([0, 0, 100, 100], 0.9)]));
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runEvalCommand(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const a = await run(['--gt', gtPath, '--dt', dtPath, '--iou-type', 'bbox']);
  assert.equal(a.code, 0);
  const lines = a.out.split('\n');
  assert.equal(lines[0], ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505');
  assert.match(a.out, /class1\s+0\.505\s+0\.505\s+0\.505\s+2/);
  assert.match(a.out, /class2\s+-\s+-\s+-\s+0/);

  const j = await run(['--gt', gtPath, '--dt', dtPath, '--iou-type', 'bbox', '--json']);
  assert.equal(j.code, 0);
  const parsed = JSON.parse(j.out);
  assert.equal(parsed.iouType, 'bbox');
  assert.equal(parsed.stats.length, 12);
  assert.equal(parsed.perCategory[0].categoryId, 1);

  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{ not json');
  const unknownImg = join(dir, 'unknown.json');
  writeFileSync(unknownImg, JSON.stringify([det([0, 0, 1, 1], 0.9, 42)]));
  const unknownCat = join(dir, 'unknowncat.json');
  writeFileSync(unknownCat, JSON.stringify([det([0, 0, 1, 1], 0.9, 1, 42)]));
  for (const argv of [
    ['--gt', join(dir, 'missing.json'), '--dt', dtPath],
    ['--gt', gtPath, '--dt', badJson],
    ['--gt', gtPath, '--dt', unknownImg],
    ['--gt', gtPath, '--dt', unknownCat],
    ['--gt', gtPath, '--dt', dtPath, '--iou-type', 'keypoints'],
    ['--gt', gtPath],
    ['--bogus'],
  ]) {
    const b = await run(argv);
    assert.equal(b.code, 2, argv.join(' '));
    assert.equal(b.out, '');
    assert.equal(b.err.split('\n').length, 1, b.err);
    assert.match(b.err, /^fieldwork eval: /);
  }
});
