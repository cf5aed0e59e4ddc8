// The annotation canvas in a real browser, driven with real mouse and keyboard events: draw a box, a
// polygon and a brush mask, edit a vertex, undo/redo, change a class with a number key, reload, and
// check the COCO export numerically.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import { rleArea } from '../../trainer/common/rle.ts';
import { tempDir, writeImage } from '../helpers/tmp.ts';
import { clickAt, dragImage, saved } from './canvas-gestures.ts';
import { e2eSkipReason, startE2e, type E2eSession } from './harness.ts';

const skip = e2eSkipReason();
const W = 400, H = 300;

async function instances(page: Page): Promise<{ kind: string; cls: string }[]> {
  return page.getByTestId('instance').evaluateAll((els) => els.map((e) => ({ kind: e.getAttribute('data-kind')!, cls: e.getAttribute('data-class')! })));
}

describe('annotation canvas end to end (browser mode, headless Chromium)', { skip }, () => {
  let s: E2eSession;
  let page: Page;
  const dir = tempDir();

  before(async () => {
    s = await startE2e();
    page = s.page;
  });
  after(async () => {
    await s?.close();
  });

  test('create a project, import an image, add two classes', async () => {
    const imagePath = await writeImage(join(dir, 'scene.png'), W, H, 3);
    await page.getByTestId('project-dir').fill(join(dir, 'project'));
    await page.getByTestId('project-name').fill('Canvas test');
    await page.getByTestId('create-project').click();
    await page.getByTestId('import-images-paths').fill(imagePath);
    await page.getByTestId('import-images-submit').click();
    await page.getByTestId('import-report').waitFor();
    await page.getByTestId('thumb').first().waitFor();
    for (const name of ['cat', 'dog']) {
      await page.getByTestId('new-class-name').fill(name);
      await page.getByTestId('new-class-submit').click();
      await page.locator(`[data-testid="class-name"]:has-text("${name}")`).waitFor();
    }
    await page.getByTestId('thumb').first().click();
    await page.waitForSelector('[data-testid="canvas"][data-painted-image]');
  });

  test('draw a box with R and a drag', async () => {
    await page.keyboard.press('r');
    await dragImage(page, [50, 40], [150, 120]);
    await saved(page);
    assert.deepEqual(await instances(page), [{ kind: 'box', cls: 'cat' }]);
  });

  test('a zero-area box is refused with a message', async () => {
    await dragImage(page, [200, 250], [260, 250]);
    await page.locator('[data-testid="message"]:has-text("no area")').waitFor();
    assert.equal((await instances(page)).length, 1);
  });

  test('draw a polygon with P, clicks, and a click on the first point', async () => {
    await page.keyboard.press('p');
    for (const [x, y] of [[200, 50], [300, 60], [280, 150], [210, 140]] as const) await clickAt(page, x, y);
    await clickAt(page, 200.5, 50.5); // within the closing radius of the first point
    await saved(page);
    assert.deepEqual((await instances(page)).map((i) => i.kind), ['box', 'polygon']);
  });

  test('paint a brush stroke with B (a new mask: the selected polygon is not a mask)', async () => {
    await page.keyboard.press('b');
    await page.keyboard.press(']'); // 12 → 16 px radius
    await dragImage(page, [60, 200], [160, 200]);
    await saved(page);
    assert.deepEqual((await instances(page)).map((i) => i.kind), ['box', 'polygon', 'mask']);
    await s.screenshot('canvas-drawn');
  });

  test('edit a polygon vertex in V mode, undo and redo it', async () => {
    await page.keyboard.press('v');
    await clickAt(page, 250, 100); // inside the polygon: selects it
    await page.waitForFunction(() => document.querySelector('[data-testid="instance"].selected')?.getAttribute('data-kind') === 'polygon');
    const vertex = async () => {
      const { rings } = await polygonInStore();
      return [rings[0][2], rings[0][3]];
    };
    const original = await vertex();
    await dragImage(page, [300, 60], [320, 40]);
    await saved(page);
    const moved = await vertex();
    // Mouse events land on whole CSS pixels, so the vertex lands within a fraction of an image pixel.
    assert.ok(Math.abs(moved[0] - 320) < 0.5 && Math.abs(moved[1] - 40) < 0.5, `vertex at ${moved}`);
    await page.keyboard.press('Control+z');
    await saved(page);
    assert.deepEqual(await vertex(), original, 'undo restores the vertex exactly');
    await page.keyboard.press('Control+Shift+z');
    await saved(page);
    assert.deepEqual(await vertex(), moved, 'redo re-applies the same edit');
  });

  test('number key 2 moves the selected polygon to the second class', async () => {
    await page.keyboard.press('2');
    await saved(page);
    assert.deepEqual(await instances(page), [
      { kind: 'box', cls: 'cat' },
      { kind: 'polygon', cls: 'dog' },
      { kind: 'mask', cls: 'cat' },
    ]);
  });

  test('after a reload everything is as it was left', async () => {
    await page.reload();
    await page.waitForSelector('[data-testid="canvas"][data-painted-image]');
    await page.getByTestId('instance').nth(2).waitFor();
    assert.deepEqual(await instances(page), [
      { kind: 'box', cls: 'cat' },
      { kind: 'polygon', cls: 'dog' },
      { kind: 'mask', cls: 'cat' },
    ]);
    await s.screenshot('canvas-after-reload');
  });

  test('the COCO export holds each shape exactly', async () => {
    await page.getByTestId('back-to-project').click();
    const out = join(dir, 'export.json');
    await page.getByTestId('export-coco-path').fill(out);
    await page.getByTestId('export-coco-submit').click();
    await page.getByTestId('export-summary').waitFor();
    const coco = JSON.parse(readFileSync(out, 'utf8')) as CocoDataset;
    const catId = coco.categories.find((c) => c.name === 'cat')!.id;
    const dogId = coco.categories.find((c) => c.name === 'dog')!.id;
    assert.equal(coco.annotations.length, 3);
    const [boxAnn, polygonAnn, maskAnn] = coco.annotations.sort((a, b) => a.id - b.id);

    assert.equal(boxAnn.category_id, catId);
    [50, 40, 100, 80].forEach((v, i) => assert.ok(Math.abs(boxAnn.bbox[i] - v) <= 1, `box ${boxAnn.bbox} vs [50, 40, 100, 80]`));

    assert.equal(polygonAnn.category_id, dogId);
    const ring = (polygonAnn.segmentation as number[][])[0];
    const expected = [200, 50, 320, 40, 280, 150, 210, 140];
    assert.equal(ring.length, expected.length);
    ring.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1, `polygon ${ring} vs ${expected}`));

    assert.equal(maskAnn.category_id, catId);
    const rle = maskAnn.segmentation as { size: [number, number]; counts: string };
    assert.deepEqual(rle.size, [H, W]);
    const area = rleArea(rle);
    const capsule = 100 * 32 + Math.PI * 16 * 16;
    assert.ok(Math.abs(area - capsule) / capsule < 0.05, `mask area ${area} vs ${capsule.toFixed(0)}`);
    assert.ok(Math.abs(maskAnn.bbox[0] - 44) <= 1.5 && Math.abs(maskAnn.bbox[1] - 184) <= 1.5, `mask bbox ${maskAnn.bbox}`);
  });

  async function polygonInStore(): Promise<{ rings: number[][] }> {
    const image = s.workbench.api.images;
    const [first] = await image.list();
    const list = await s.workbench.api.annotations.list(first.id);
    const polygon = list.find((a) => a.geometry.kind === 'polygon')!;
    return polygon.geometry as { rings: number[][] };
  }
});
