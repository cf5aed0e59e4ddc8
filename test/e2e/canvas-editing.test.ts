// Editing gestures and keys on the canvas, with real mouse and keyboard events: polygon drafting keys,
// vertex insert/remove, box move/resize, delete + undo under the old id, copy/paste onto the next image,
// Tab/H, eraser holes, polygon ⇄ mask, zoom to cursor and panning, help and remapped shortcuts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Annotation } from '../../electron/api.ts';
import { rleArea } from '../../trainer/common/rle.ts';
import { tempDir, writeImage } from '../helpers/tmp.ts';
import { clickAt, dragImage, saved, toScreen, view } from './canvas-gestures.ts';
import { e2eSkipReason, startE2e, type E2eSession } from './harness.ts';

const skip = e2eSkipReason();

describe('canvas editing end to end (browser mode, headless Chromium)', { skip }, () => {
  let s: E2eSession;
  let page: Page;
  let imageIds: number[] = [];
  const dir = tempDir();

  async function stored(index = 0): Promise<Annotation[]> {
    return s.workbench.api.annotations.list(imageIds[index]);
  }

  async function selectedKind(): Promise<string | null> {
    return page.evaluate(() => document.querySelector('[data-testid="instance"].selected')?.getAttribute('data-kind') ?? null);
  }

  before(async () => {
    s = await startE2e();
    page = s.page;
    const a = await writeImage(join(dir, 'a.png'), 320, 240, 1);
    const b = await writeImage(join(dir, 'b.png'), 320, 240, 2);
    const c = await writeImage(join(dir, 'c.png'), 320, 240, 3);
    await s.workbench.api.projects.create(join(dir, 'project'), 'Editing');
    await s.workbench.api.images.import([a, b, c]);
    await s.workbench.api.classes.create('car', '#ff0000');
    await s.workbench.api.classes.create('bike', '#00ff00');
    imageIds = (await s.workbench.api.images.list()).map((i) => i.id).sort((x, y) => x - y);
    await page.reload();
    await page.getByTestId('thumb').first().click();
    await page.waitForSelector(`[data-testid="canvas"][data-painted-image="${imageIds[0]}"]`);
  });
  after(async () => {
    await s?.close();
  });

  test('polygon drafting: Backspace drops the last point, Esc cancels, Enter closes', async () => {
    await page.keyboard.press('p');
    await clickAt(page, 20, 20);
    await clickAt(page, 60, 20);
    await page.keyboard.press('Escape');
    await clickAt(page, 100, 20);
    await clickAt(page, 200, 20);
    await clickAt(page, 300, 10); // dropped by Backspace
    await page.keyboard.press('Backspace');
    await clickAt(page, 200, 100);
    await clickAt(page, 100, 100);
    await page.keyboard.press('Enter');
    await saved(page);
    const list = await stored();
    assert.equal(list.length, 1);
    assert.deepEqual((list[0].geometry as { rings: number[][] }).rings[0].map(Math.round), [100, 20, 200, 20, 200, 100, 100, 100]);
  });

  test('a polygon with fewer than 3 distinct points is refused', async () => {
    await clickAt(page, 10, 200);
    await clickAt(page, 10, 200);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="message"]:has-text("3 distinct points")').waitFor();
    await page.keyboard.press('Escape');
    assert.equal((await stored()).length, 1);
  });

  test('edit mode: click an edge inserts a vertex, Alt+click removes one, Delete removes the picked vertex', async () => {
    await page.keyboard.press('v');
    await clickAt(page, 150, 60);
    assert.equal(await selectedKind(), 'polygon');
    await clickAt(page, 150, 20); // on the top edge
    await saved(page);
    let ring = ((await stored())[0].geometry as { rings: number[][] }).rings[0];
    assert.equal(ring.length, 10);
    assert.deepEqual([Math.round(ring[2]), Math.round(ring[3])], [150, 20]);

    const p = await toScreen(page, 150, 20);
    await page.mouse.move(p.x, p.y);
    await page.keyboard.down('Alt');
    await page.mouse.down();
    await page.mouse.up();
    await page.keyboard.up('Alt');
    await saved(page);
    ring = ((await stored())[0].geometry as { rings: number[][] }).rings[0];
    assert.equal(ring.length, 8);

    await clickAt(page, 200, 100); // picks that vertex
    await page.keyboard.press('Delete');
    await saved(page);
    ring = ((await stored())[0].geometry as { rings: number[][] }).rings[0];
    assert.deepEqual(ring.map(Math.round), [100, 20, 200, 20, 100, 100]);
    await page.keyboard.press('Control+z');
    await saved(page);
    assert.equal(((await stored())[0].geometry as { rings: number[][] }).rings[0].length, 8);
  });

  test('box: one press selects and moves it; the corner handle resizes it', async () => {
    await page.keyboard.press('r');
    await dragImage(page, [200, 150], [260, 200]);
    await saved(page);
    await page.keyboard.press('Escape');
    await page.keyboard.press('v');
    await dragImage(page, [230, 175], [240, 185]); // grab the (unselected) box and move it 10, 10
    await saved(page);
    let box = (await stored()).find((a) => a.geometry.kind === 'box')!;
    (box.geometry as { bbox: number[] }).bbox.forEach((v, i) => assert.ok(Math.abs(v - [210, 160, 60, 50][i]) < 0.6, `moved box ${box.bbox}`));
    await dragImage(page, [270, 210], [290, 220]); // bottom-right handle
    await saved(page);
    box = (await stored()).find((a) => a.geometry.kind === 'box')!;
    (box.geometry as { bbox: number[] }).bbox.forEach((v, i) => assert.ok(Math.abs(v - [210, 160, 80, 60][i]) < 0.8, `resized box ${box.bbox}`));
  });

  test('Delete removes the selected shape; undo restores it under its old id', async () => {
    const before = await stored();
    const box = before.find((a) => a.geometry.kind === 'box')!;
    assert.equal(await selectedKind(), 'box');
    await page.keyboard.press('Delete');
    await saved(page);
    assert.equal((await stored()).length, before.length - 1);
    await page.keyboard.press('Control+z');
    await saved(page);
    const restored = (await stored()).find((a) => a.geometry.kind === 'box')!;
    assert.equal(restored.id, box.id);
    assert.deepEqual(restored.geometry, box.geometry);
  });

  test('Tab cycles the selection; H hides the others', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    const first = await selectedKind();
    await page.keyboard.press('Tab');
    const second = await selectedKind();
    assert.notEqual(first, second);
    await page.keyboard.press('h');
    assert.equal(await page.getByLabel('Hide others (H)').isChecked(), true);
    await s.screenshot('canvas-hide-others');
    await page.keyboard.press('h');
  });

  test('Ctrl+C, F, Ctrl+V copies the shapes onto the next image', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('f');
    await page.waitForSelector(`[data-testid="canvas"][data-painted-image="${imageIds[1]}"]`);
    await page.keyboard.press('Control+v');
    await saved(page);
    const copies = await stored(1);
    const originals = await stored(0);
    assert.deepEqual(copies.map((a) => a.geometry).sort(), originals.map((a) => a.geometry).sort());
    await page.keyboard.press('d');
    await page.waitForSelector(`[data-testid="canvas"][data-painted-image="${imageIds[0]}"]`);
  });

  test('brush then eraser through the middle leaves a mask with a hole; mask → polygon → mask', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    for (let i = 0; i < 4; i++) await page.keyboard.press(']'); // 12 → 32 px
    await dragImage(page, [40, 170], [120, 170]);
    await saved(page);
    const mask = (await stored()).find((a) => a.geometry.kind === 'mask')!;
    const full = mask.area;
    await page.keyboard.press('e');
    for (let i = 0; i < 6; i++) await page.keyboard.press('['); // 32 → 8 px
    const radius = Number(await page.getByTestId('brush-size').inputValue());
    assert.equal(radius, 8);
    await clickAt(page, 80, 170);
    await saved(page);
    const holed = (await stored()).find((a) => a.geometry.kind === 'mask')!;
    assert.equal(holed.id, mask.id);
    const hole = full - holed.area;
    const disc = Math.PI * radius * radius;
    assert.ok(hole > disc * 0.9 && hole < disc * 1.1, `hole of ${hole} px vs ${disc.toFixed(0)}`);
    await s.screenshot('canvas-mask-hole');

    await page.keyboard.press('v');
    await page.keyboard.press('Shift+M');
    await saved(page);
    const polygon = (await stored()).find((a) => a.geometry.kind === 'polygon' && a.bbox[0] < 60)!;
    assert.ok(polygon, 'the mask became a polygon');
    assert.ok(Math.abs(polygon.area - full) / full < 0.05, `polygon area ${polygon.area} vs mask ${full} (hole filled)`);
    await page.locator('[data-testid="message"]:has-text("hole")').waitFor();
    assert.equal(await selectedKind(), 'polygon', 'the converted shape stays selected');
    await page.keyboard.press('m');
    await saved(page);
    const back = (await stored()).find((a) => a.geometry.kind === 'mask')!;
    assert.ok(Math.abs(rleArea((back.geometry as { rle: { size: [number, number]; counts: string } }).rle) - polygon.area) <= 2);
  });

  test('wheel zooms around the cursor; space+drag and middle drag pan', async () => {
    await page.keyboard.press('0');
    const before = await toScreen(page, 100, 100);
    await page.mouse.move(before.x, before.y);
    await page.mouse.wheel(0, -500);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="canvas"]')!.getAttribute('data-view')!.split(',')[0]) > 3);
    const after = await toScreen(page, 100, 100);
    assert.ok(Math.hypot(after.x - before.x, after.y - before.y) < 1, 'the image point under the cursor stays put');
    assert.match((await page.getByTestId('zoom').textContent())!, /^\d+%$/);

    const v0 = await view(page);
    await page.keyboard.down('Space');
    await page.mouse.down();
    await page.mouse.move(before.x - 100, before.y - 50, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Space');
    const v1 = await view(page);
    assert.ok(Math.abs(v1.x - v0.x + 100) < 1 && Math.abs(v1.y - v0.y + 50) < 1, 'space+drag pans');
    await page.mouse.down({ button: 'middle' });
    await page.mouse.move(before.x, before.y, { steps: 4 });
    await page.mouse.up({ button: 'middle' });
    const v2 = await view(page);
    assert.ok(Math.abs(v2.x - v0.x) < 1 && Math.abs(v2.y - v0.y) < 1, 'middle drag pans back');
    await s.screenshot('canvas-zoomed');
    await page.keyboard.press('0');
  });

  test('? shows the help; a remapped shortcut works and survives a reload', async () => {
    await page.keyboard.press('?');
    await page.getByTestId('help-overlay').waitFor();
    await s.screenshot('canvas-help');
    await page.keyboard.press('Escape');
    await page.getByTestId('settings-button').click();
    await page.getByTestId('rebind-tool-box').click();
    await page.keyboard.press('x');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.reload();
    await page.waitForSelector('[data-testid="canvas"][data-painted-image]');
    await page.keyboard.press('x');
    assert.equal(await page.getByTestId('tool-box').getAttribute('class').then((c) => c?.includes('on')), true);
  });

  test('status buttons mark the image', async () => {
    await page.getByTestId('status-done').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="status-done"]')?.classList.contains('on'));
    assert.equal((await s.workbench.api.images.get(imageIds[0])).status, 'done');
  });

  test('N jumps to the next unlabelled image', async () => {
    // The import may number the three files in any order, so ask the store which one has no shapes.
    const unlabelled = (await s.workbench.api.images.list()).filter((i) => i.annotationCount === 0);
    assert.equal(unlabelled.length, 1);
    await page.keyboard.press('n');
    await page.waitForSelector(`[data-testid="canvas"][data-painted-image="${unlabelled[0].id}"]`);
    assert.equal(await page.getByTestId('image-name').textContent(), unlabelled[0].fileName);
  });

  test('classes: rename, recolour, merge, delete with reassignment; counts follow', async () => {
    const cls = () => s.workbench.api.classes.list();
    const row = (name: string) => page.locator('[data-testid="class-row"]', { has: page.locator(`[data-testid="class-name"]:has-text("${name}")`) });
    await row('car').getByTestId('class-name').dblclick();
    await page.getByTestId('class-rename-input').fill('automobile');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="class-name"]:has-text("automobile")').waitFor();
    await row('automobile').getByTestId('class-color').fill('#123456');
    await page.waitForTimeout(300);
    assert.equal((await cls()).find((c) => c.name === 'automobile')?.color, '#123456');

    const before = await cls();
    const total = before.reduce((n, c) => n + c.instanceCount, 0);
    await row('bike').getByTestId('class-manage').click();
    await row('bike').getByTestId('class-target').selectOption({ label: 'automobile' });
    await row('bike').getByTestId('class-merge').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="class-list"]')!.textContent!.includes('bike'));
    const merged = await cls();
    assert.equal(merged.length, 1);
    assert.equal(merged[0].instanceCount, total);
    await page.waitForFunction((n) => document.querySelector('[data-testid="class-count"]')?.textContent?.startsWith(`${n} /`), total);

    await page.getByTestId('new-class-name').fill('vehicle');
    await page.getByTestId('new-class-submit').click();
    await row('vehicle').waitFor();
    await row('automobile').getByTestId('class-manage').click();
    await row('automobile').getByTestId('class-target').selectOption({ label: 'vehicle' });
    await row('automobile').getByTestId('class-delete').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="class-list"]')!.textContent!.includes('automobile'));
    const after = await cls();
    assert.deepEqual(after.map((c) => [c.name, c.instanceCount]), [['vehicle', total]]);
    await s.screenshot('canvas-classes');
  });
});
