// Real mouse gestures on the annotation canvas, in image pixel coordinates: the canvas publishes its view
// transform as data-view="scale,x,y" (screen = canvas corner + translation + image × scale).
import type { Page } from 'playwright-core';

export async function view(page: Page): Promise<{ scale: number; x: number; y: number; left: number; top: number }> {
  return page.getByTestId('canvas').evaluate((el) => {
    const [scale, x, y] = (el as HTMLElement).dataset.view!.split(',').map(Number);
    const r = el.getBoundingClientRect();
    return { scale, x, y, left: r.left, top: r.top };
  });
}

/** Screen position of image pixel (x, y). */
export async function toScreen(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const v = await view(page);
  return { x: v.left + v.x + x * v.scale, y: v.top + v.y + y * v.scale };
}

export async function moveTo(page: Page, x: number, y: number, steps = 1): Promise<void> {
  const p = await toScreen(page, x, y);
  await page.mouse.move(p.x, p.y, { steps });
}

export async function clickAt(page: Page, x: number, y: number, modifiers: { alt?: boolean } = {}): Promise<void> {
  await moveTo(page, x, y);
  if (modifiers.alt) await page.keyboard.down('Alt');
  await page.mouse.down();
  await page.mouse.up();
  if (modifiers.alt) await page.keyboard.up('Alt');
}

export async function dragImage(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await moveTo(page, ...from);
  await page.mouse.down();
  await moveTo(page, ...to, 8);
  await page.mouse.up();
}

/** Waits until the autosave indicator says every edit is saved. */
export async function saved(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector('[data-testid="save-state"]')?.getAttribute('data-state') === 'saved');
}
