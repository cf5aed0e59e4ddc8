// Hand-derived vectors for trainer/common/rle.ts (pycocotools maskApi.c semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bboxIou,
  compressCounts,
  countsToBbox,
  decompressCounts,
  polygonCounts,
  rleArea,
  rleFromBbox,
  rleFromMask,
  rleFromPolygons,
  rleFromUncompressed,
  rleFromWindow,
  rleIou,
  rleMerge,
  rleToBbox,
  rleToMask,
  segmentationToRle,
} from '../../trainer/common/rle.ts';

// h = 3 rows, w = 4 columns, row-major:
//   0 1 1 0
//   0 1 1 0
//   0 0 1 0
// column-major walk: col0 000, col1 110, col2 111, col3 000 → 000 11 0 111 000 → runs [3,2,1,3,3]
// string: 3→'3', 2→'2', 1→'1', then deltas vs counts[i-2]: 3-2=1→'1', 3-1=2→'2' → "32112"
const M43 = Uint8Array.from([0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0]);

test('rleFromMask: 3×4 mask → runs [3,2,1,3,3], string "32112"', () => {
  const rle = rleFromMask(M43, 3, 4);
  assert.deepEqual(rle.size, [3, 4]);
  assert.equal(rle.counts, '32112');
  assert.deepEqual(decompressCounts(rle.counts), [3, 2, 1, 3, 3]);
  assert.deepEqual(Array.from(rleToMask(rle)), Array.from(M43));
  assert.equal(rleArea(rle), 5);
  assert.deepEqual(rleToBbox(rle), [1, 0, 2, 3]);
});

test('compressCounts: 5-bit groups, continuation bit, sign bit, delta against counts[i-2]', () => {
  // 100 = 3*32 + 4: low group 4 with continuation (4|0x20=36 → 48+36='T'), then 3 → '3'
  assert.equal(compressCounts([100]), 'T3');
  // 16 has bit 0x10 set, which would read as negative: needs an extra 0 group: 16|0x20=48 → '`', then '0'
  assert.equal(compressCounts([16]), '`0');
  // [5,10,2,3]: i=3 stores 3-10 = -7; low 5 bits of -7 = 25, and -7>>5 = -1 with sign bit set → stop: 48+25='I'
  assert.equal(compressCounts([5, 10, 2, 3]), '5:2I');
  assert.deepEqual(decompressCounts('5:2I'), [5, 10, 2, 3]);
  assert.deepEqual(decompressCounts('T3'), [100]);
  assert.deepEqual(decompressCounts('`0'), [16]);
  // i=2 is NOT delta-coded (only i > 2)
  assert.equal(compressCounts([1, 1, 1]), '111');
  assert.equal(compressCounts([]), '');
  assert.deepEqual(decompressCounts(''), []);
});

test('codec round trip on random and large counts', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let n = 0; n < 200; n++) {
    const len = Math.floor(rnd() * 30);
    const runs = Array.from({ length: len }, () => Math.floor(rnd() ** 3 * 5_000_000));
    assert.deepEqual(decompressCounts(compressCounts(runs)), runs);
  }
  assert.deepEqual(decompressCounts(compressCounts([0, 4000000000, 1, 3999999999])), [0, 4000000000, 1, 3999999999]);
});

test('mask round trips on random masks; empty and full masks', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let n = 0; n < 50; n++) {
    const h = 1 + Math.floor(rnd() * 17);
    const w = 1 + Math.floor(rnd() * 23);
    const density = rnd();
    const m = Uint8Array.from({ length: h * w }, () => (rnd() < density ? 1 : 0));
    const rle = rleFromMask(m, h, w);
    assert.deepEqual(Array.from(rleToMask(rle)), Array.from(m));
    assert.equal(rleArea(rle), m.reduce((a, b) => a + b, 0));
  }
  assert.deepEqual(decompressCounts(rleFromMask(new Uint8Array(6), 2, 3).counts), [6]);
  // a full mask starts with a zero-length run of zeros
  assert.deepEqual(decompressCounts(rleFromMask(new Uint8Array(6).fill(1), 2, 3).counts), [0, 6]);
  assert.deepEqual(rleToBbox(rleFromMask(new Uint8Array(6), 2, 3)), [0, 0, 0, 0]);
});

test('rleToBbox: a run of ones wrapping into the next column spans all rows (maskApi rule)', () => {
  // h=4, w=2: ones at (x0,y3) and (x1,y0) → flat indices 3,4 → runs [3,2,3]; box rows 0..3, cols 0..1
  assert.deepEqual(countsToBbox({ h: 4, w: 2, counts: [3, 2, 3] }), [0, 0, 2, 4]);
});

test('rleToBbox: vectors from the PyPI pycocotools test-suite (ppwwyyxx/cocoapi tests/test_cases.py)', () => {
  // [[0,1],[1,1]] → [0,0,2,2]
  assert.deepEqual(rleToBbox(rleFromMask(Uint8Array.from([0, 1, 1, 1]), 2, 2)), [0, 0, 2, 2]);
  // 10×10 with mask[2:4, 3:6] = 1 (rows 2..3, cols 3..5) → [3,2,3,2]
  const m = new Uint8Array(100);
  for (let y = 2; y < 4; y++) for (let x = 3; x < 6; x++) m[y * 10 + x] = 1;
  assert.deepEqual(rleToBbox(rleFromMask(m, 10, 10)), [3, 2, 3, 2]);
  // zero-length leading segments ("000..."): the box must equal that of the decoded-and-re-encoded mask
  const odd = { size: [6, 5] as [number, number], counts: compressCounts([0, 0, 7, 3, 20]) };
  assert.ok(odd.counts.startsWith('00'));
  const again = rleFromMask(rleToMask(odd), 6, 5);
  assert.deepEqual(rleToBbox(odd), rleToBbox(again));
  // runs: 0 zeros, 0 ones, 7 zeros, ones at flat 7..9 = column 1, rows 1..3
  assert.deepEqual(rleToBbox(odd), [1, 1, 1, 3]);
});

test('rleToMask: counts running past the mask are rejected (PyPI pycocotools raises ValueError)', () => {
  assert.throws(() => rleToMask({ size: [2, 2], counts: compressCounts([1, 5]) }), /invalid RLE/);
});

test('rleFromPolygons: integer square 10×10 covers exactly 100 pixels', () => {
  // ×5 upsampling: x 0..50. Top edge (u increasing) keeps column n when (u-1+.5)/5-.5 = n, i.e. u = 5n+3 ≤ 50 → n=0..9;
  // y top = ceil((0+.5)/5-.5) → clamped 0; bottom y = ceil(50.5/5-.5) = ceil(9.6) = 10 → rows 0..9 in columns 0..9.
  const rle = rleFromPolygons([[0, 0, 10, 0, 10, 10, 0, 10]], 20, 20);
  assert.equal(rleArea(rle), 100);
  assert.deepEqual(rleToBbox(rle), [0, 0, 10, 10]);
  // runs: row 0 is inside, so a zero-length first run, then 10 ones / 10 zeros per column, last zeros 10 + 10*20
  const runs = decompressCounts(rle.counts);
  assert.equal(runs[0], 0);
  assert.equal(runs[1], 10);
  assert.equal(runs[runs.length - 1], 10 + 10 * 20);
  // same box through frBbox
  assert.equal(rleFromBbox([0, 0, 10, 10], 20, 20).counts, rle.counts);
});

test('rleFromPolygons: fractional square [1.2, 3.7]² → 3×3 pixels at (1..3, 1..3)', () => {
  // x,y upsampled: trunc(6+.5)=6, trunc(18.5+.5)=19. Columns kept: u=8,13,18 (top) / 7,12,17 (bottom) → x=1,2,3.
  // rows: top ceil(6.5/5-.5)=ceil(0.8)=1, bottom ceil(19.5/5-.5)=ceil(3.4)=4 → rows 1..3.
  const rle = rleFromPolygons([[1.2, 1.2, 3.7, 1.2, 3.7, 3.7, 1.2, 3.7]], 6, 6);
  assert.equal(rleArea(rle), 9);
  assert.deepEqual(rleToBbox(rle), [1, 1, 3, 3]);
  const m = rleToMask(rle);
  for (let y = 0; y < 6; y++)
    for (let x = 0; x < 6; x++) assert.equal(m[y * 6 + x], x >= 1 && x <= 3 && y >= 1 && y <= 3 ? 1 : 0);
  // counts: col0 6 zeros + col1 row0 → 7 zeros, 3 ones, 3 zeros, 3 ones, 3 zeros, 3 ones, 2+6+6 zeros
  assert.deepEqual(decompressCounts(rle.counts), [7, 3, 3, 3, 3, 3, 14]);
  assert.equal(rleFromBbox([1.2, 1.2, 2.5, 2.5], 6, 6).counts, rle.counts);
});

test('rleFromPolygons: C truncation for negative coordinates and clipping to the image', () => {
  // -5 → trunc(-25+.5) = -24 (not floor = -25); columns with xd<0 dropped → cols 0..4; rows clamp at 0,
  // bottom ceil(25.5/5-.5)=5 → rows 0..4: 25 pixels.
  const rle = rleFromPolygons([[-5, -5, 5, -5, 5, 5, -5, 5]], 10, 10);
  assert.equal(rleArea(rle), 25);
  assert.deepEqual(rleToBbox(rle), [0, 0, 5, 5]);
  // entirely outside: empty
  assert.equal(rleArea(rleFromPolygons([[20, 20, 30, 20, 30, 30]], 10, 10)), 0);
});

test('rleFromPolygons: triangle is orientation-independent; several rings are OR-merged', () => {
  const a = rleFromPolygons([[0, 0, 8, 0, 0, 8]], 10, 10);
  const b = rleFromPolygons([[0, 8, 8, 0, 0, 0]], 10, 10);
  assert.equal(a.counts, b.counts);
  const two = rleFromPolygons(
    [
      [0, 0, 4, 0, 4, 4, 0, 4],
      [2, 2, 6, 2, 6, 6, 2, 6],
    ],
    8,
    8,
  );
  assert.equal(rleArea(two), 16 + 16 - 4);
  // a single-point and a two-point ring contribute nothing
  assert.equal(rleArea(polygonCountsArea([3, 3], 5, 5)), 0);
});

function polygonCountsArea(xy: number[], h: number, w: number) {
  return { h, w, counts: polygonCounts(xy, h, w) };
}

test('rleMerge union/intersection and rleIou match pixel-level set operations', () => {
  let seed = 3;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let n = 0; n < 40; n++) {
    const h = 1 + Math.floor(rnd() * 9);
    const w = 1 + Math.floor(rnd() * 9);
    const A = Uint8Array.from({ length: h * w }, () => (rnd() < 0.4 ? 1 : 0));
    const B = Uint8Array.from({ length: h * w }, () => (rnd() < 0.4 ? 1 : 0));
    const C = Uint8Array.from({ length: h * w }, () => (rnd() < 0.5 ? 1 : 0));
    const ra = rleFromMask(A, h, w);
    const rb = rleFromMask(B, h, w);
    const rc = rleFromMask(C, h, w);
    const or = A.map((v, i) => v | B[i] | C[i]);
    const and = A.map((v, i) => v & B[i] & C[i]);
    assert.equal(rleMerge([ra, rb, rc]).counts, rleFromMask(or, h, w).counts);
    assert.equal(rleMerge([ra, rb, rc], true).counts, rleFromMask(and, h, w).counts);
    const inter = A.reduce((s, v, i) => s + (v & B[i]), 0);
    const uni = A.reduce((s, v, i) => s + (v | B[i]), 0);
    const areaA = A.reduce((s, v) => s + v, 0);
    const [[iou, crowdIou]] = rleIou([ra], [rb, rb], [false, true]).map((r) => r);
    assert.equal(iou, inter === 0 ? 0 : inter / uni);
    // crowd gt: intersection over the detection's area
    assert.equal(crowdIou, inter === 0 ? 0 : inter / areaA);
  }
});

test('rleIou: 2×2 squares offset by one pixel; size mismatch → -1; empty → []', () => {
  const a = rleFromBbox([0, 0, 2, 2], 4, 4);
  const b = rleFromBbox([1, 1, 2, 2], 4, 4);
  // intersection 1 pixel, union 4+4-1 = 7; crowd: 1/4
  assert.deepEqual(rleIou([a], [b], [false]), [[1 / 7]]);
  assert.deepEqual(rleIou([a], [b], [true]), [[1 / 4]]);
  assert.deepEqual(rleIou([a], [rleFromBbox([0, 0, 2, 2], 4, 5)], [false]), [[-1]]);
  assert.deepEqual(rleIou([], [b], [false]), []);
  assert.equal(rleMerge([a]).counts, a.counts);
  assert.deepEqual(rleMerge([a, rleFromBbox([0, 0, 2, 2], 5, 4)]).size, [0, 0]);
});

test('bboxIou: plain and crowd semantics', () => {
  // dt [0,0,10,10], gt [5,0,10,10]: inter 50, union 150 → 1/3; crowd → 50/100
  assert.deepEqual(bboxIou([[0, 0, 10, 10]], [[5, 0, 10, 10], [5, 0, 10, 10], [20, 20, 1, 1]], [false, true, false]), [
    [1 / 3, 0.5, 0],
  ]);
  // touching edges do not overlap
  assert.deepEqual(bboxIou([[0, 0, 10, 10]], [[10, 0, 5, 5]], [false]), [[0]]);
});

test('segmentationToRle: polygons, uncompressed and compressed RLE, box quirk', () => {
  const poly = segmentationToRle([[0, 0, 10, 0, 10, 10, 0, 10]], 20, 20);
  assert.equal(rleArea(poly), 100);
  const unc = segmentationToRle({ size: [3, 4], counts: [3, 2, 1, 3, 3] }, 99, 99);
  assert.deepEqual(unc, { size: [3, 4], counts: '32112' });
  assert.deepEqual(rleFromUncompressed({ size: [3, 4], counts: [3, 2, 1, 3, 3] }), unc);
  assert.deepEqual(segmentationToRle({ size: [3, 4], counts: '32112' }, 99, 99), unc);
  // frPyObjects treats a list whose first entry has 4 numbers as boxes
  assert.equal(rleArea(segmentationToRle([[0, 0, 2, 2]], 5, 5)), 4);
});

test('rleFromWindow equals rleFromMask of the whole mask: random windows, edges, empty and full', () => {
  let seed = 3;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const cases: [number, number, number, number, number, number][] = [
    // h, w, x0, y0, cols, rows
    [7, 9, 0, 0, 9, 7], [7, 9, 0, 0, 0, 0], [7, 9, 8, 6, 1, 1], [7, 9, 3, 2, 4, 0], [1, 1, 0, 0, 1, 1],
  ];
  for (let k = 0; k < 60; k++) {
    const h = 1 + Math.floor(rnd() * 30), w = 1 + Math.floor(rnd() * 30);
    const x0 = Math.floor(rnd() * w), y0 = Math.floor(rnd() * h);
    cases.push([h, w, x0, y0, Math.floor(rnd() * (w - x0 + 1)), Math.floor(rnd() * (h - y0 + 1))]);
  }
  for (const [h, w, x0, y0, cols, rows] of cases) {
    for (const density of [0, 0.5, 1]) {
      const data = Uint8Array.from({ length: rows * cols }, () => (rnd() < density ? 1 : 0));
      const full = new Uint8Array(h * w);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) full[(y0 + r) * w + x0 + c] = data[r * cols + c];
      assert.deepEqual(rleFromWindow(data, x0, y0, rows, cols, h, w), rleFromMask(full, h, w), `${w}×${h} window ${cols}×${rows} at ${x0},${y0} density ${density}`);
    }
  }
  assert.throws(() => rleFromWindow(new Uint8Array(4), 8, 0, 2, 2, 7, 9), /does not fit/);
});
