// Canvas benchmark: a 4000×3000 image with 1,000 polygons (20–60 vertices) in headless Chromium.
// Reports medians of frame drawing time while panning and zooming (goal ≤ 16 ms), time from choosing
// an image to its first full paint (goal ≤ 150 ms), and time to commit one edit to SQLite.
//   npx vite build && npx tsx bench/canvas.ts [--images 4] [--polygons 1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import type { AnnotationOp } from '../electron/api.ts';
import { Workbench } from '../electron/services/workbench.ts';
import { startWebServer } from '../electron/web/server.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { images: { type: 'string' }, polygons: { type: 'string' } } });
const IMAGES = Number(values.images ?? 4);
const POLYGONS = Number(values.polygons ?? 1000);
const W = 4000, H = 3000;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

async function makeImage(path: string, seed: number) {
  const raw = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      raw[i] = (x * 3 + seed * 40) & 255;
      raw[i + 1] = (y * 2 + ((x >> 6) & 1) * 60) & 255;
      raw[i + 2] = ((x ^ y) + seed) & 255;
    }
  }
  await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 85 }).toFile(path);
}

/** Star-shaped (so simple) polygons spread over the image. */
function polygons(seed: number, classIds: number[]): AnnotationOp[] {
  const rand = rng(seed);
  const ops: AnnotationOp[] = [];
  for (let k = 0; k < POLYGONS; k++) {
    const n = 20 + Math.floor(rand() * 41);
    const r = 25 + rand() * 70;
    const cx = r + rand() * (W - 2 * r), cy = r + rand() * (H - 2 * r);
    const ring: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = (i / n) * Math.PI * 2;
      const rr = r * (0.6 + 0.4 * rand());
      ring.push(Math.round((cx + Math.cos(a) * rr) * 100) / 100, Math.round((cy + Math.sin(a) * rr) * 100) / 100);
    }
    ops.push({ op: 'create', draft: { classId: classIds[k % classIds.length], geometry: { kind: 'polygon', rings: [ring] } } });
  }
  return ops;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

// Page-side scripts are plain strings: tsx would wrap named functions in a helper the page lacks.

/**
 * The app fires no benchmark events; this installs its timing probe (renderer/src/lib/annotate/probe.ts)
 * before the app loads and turns each report into the events the scripts below listen for.
 */
const INSTALL_PROBE = `window.__fieldworkProbe = {
  frame: (ms) => window.dispatchEvent(new CustomEvent('fieldwork:frame', { detail: ms })),
  imagePainted: (painted) => document.dispatchEvent(new CustomEvent('fieldwork:image-painted', { detail: painted })),
  saved: (ms) => window.dispatchEvent(new CustomEvent('fieldwork:saved', { detail: ms })),
};`;

const COLLECT_FRAMES = `(() => {
  const b = (window.__bench = { draw: [], interval: [], running: true });
  window.addEventListener('fieldwork:frame', (e) => b.draw.push(e.detail));
  let last = 0;
  requestAnimationFrame((t0) => {
    last = t0;
    requestAnimationFrame(function tick(t) {
      b.interval.push(t - last);
      last = t;
      if (b.running) requestAnimationFrame(tick);
    });
  });
})()`;

const WATCH_PAINT = `(() => {
  let t0 = -1;
  const mark = (e) => { if (t0 < 0) t0 = e.timeStamp; };
  document.addEventListener('click', mark, { capture: true, once: true });
  document.addEventListener('keydown', mark, { capture: true, once: true });
  window.__paint = new Promise((resolve) => {
    let first = -1;
    const onPaint = (e) => {
      const now = performance.now() - t0;
      if (first < 0) first = now;
      if (e.detail.stage === 'full') {
        document.removeEventListener('fieldwork:image-painted', onPaint);
        resolve([first, now]);
      }
    };
    document.addEventListener('fieldwork:image-painted', onPaint);
  });
})()`;

const WATCH_SAVE = `(() => {
  window.__save = new Promise((resolve) => {
    let t0 = -1;
    document.addEventListener('keydown', (e) => (t0 = e.timeStamp), { capture: true, once: true });
    window.addEventListener('fieldwork:saved', (e) => resolve([performance.now() - t0, e.detail]), { once: true });
    setTimeout(() => resolve([NaN, NaN]), 10000);
  });
})()`;

/** Collects per-frame Konva drawing time and animation-frame intervals until the returned stop is called. */
async function startFrameCollector(page: Page) {
  await page.evaluate(COLLECT_FRAMES);
  return async () =>
    (await page.evaluate(`(() => { window.__bench.running = false; return { draw: window.__bench.draw, interval: window.__bench.interval }; })()`)) as {
      draw: number[];
      interval: number[];
    };
}

/** Time from the user's input event to the first paint (thumbnail stand-in or full) and to the full-resolution paint. */
async function timeToPaint(page: Page, choose: () => Promise<void>): Promise<[first: number, full: number]> {
  await page.evaluate(WATCH_PAINT);
  await choose();
  return (await page.evaluate('window.__paint')) as [number, number];
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fieldwork-bench-'));
  const workbench = new Workbench({ userDataDir: join(dir, 'user'), resourcesDir: join(root, 'resources') });
  try {
    process.stdout.write(`Generating ${IMAGES} images of ${W}×${H} with ${POLYGONS} polygons each… `);
    const paths: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      paths.push(join(dir, `big-${i}.jpg`));
      await makeImage(paths[i], i + 1);
    }
    await workbench.api.projects.create(join(dir, 'project'), 'Canvas bench');
    await workbench.api.images.import(paths);
    const classIds: number[] = [];
    for (const name of ['car', 'person', 'bike', 'sign', 'tree']) classIds.push((await workbench.api.classes.create(name)).id);
    const images = (await workbench.api.images.list()).sort((a, b) => a.id - b.id);
    for (const [i, image] of images.entries()) await workbench.api.annotations.apply(image.id, polygons(i + 7, classIds));
    console.log('done.');

    // The store alone: one update of one polygon, as the renderer sends it.
    const storeTimes: number[] = [];
    // The last polygon of the last image, so the app's own edits below start from untouched shapes.
    const first = (await workbench.api.annotations.list(images[images.length - 1].id)).at(-1)!;
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await workbench.api.annotations.apply(first.imageId, [{ op: 'update', id: first.id, patch: { classId: classIds[i % 2] } }]);
      storeTimes.push(performance.now() - t);
    }

    const server = await startWebServer({ workbench, staticDir: join(root, 'renderer', 'dist'), allow: [tmpdir()] });
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      page.on('crash', () => console.error('the page crashed'));
      page.on('pageerror', (err) => console.error('page error:', err.message));
      await page.addInitScript(INSTALL_PROBE);
      await page.goto(server.url);
      await page.getByTestId('thumb').first().waitFor();

      // Choosing an image: a click in the grid, then F through the rest. The app decodes the next
      // image ahead, so F waits a moment as a user would before moving on.
      const firstPaint: number[] = [], fullPaint: number[] = [];
      const record = ([first, full]: [number, number]) => (firstPaint.push(first), fullPaint.push(full));
      record(await timeToPaint(page, () => page.getByTestId('thumb').first().click()));
      const coldFirst = firstPaint[0], coldFull = fullPaint[0];
      for (let i = 1; i < images.length; i++) {
        await page.waitForTimeout(1500);
        record(await timeToPaint(page, () => page.keyboard.press('f')));
      }
      // Straight back without waiting, to an image seen a moment ago.
      for (let i = 0; i < images.length - 1; i++) record(await timeToPaint(page, () => page.keyboard.press('d')));
      const nav = { first: firstPaint.slice(1), full: fullPaint.slice(1) };

      const box = (await page.getByTestId('canvas').boundingBox())!;
      const cx = box.x + box.width / 2, cy = box.y + box.height / 2;

      // Pan at fit-to-window (all 1,000 polygons on screen), with the middle button.
      await page.keyboard.press('0');
      let stop = await startFrameCollector(page);
      await page.mouse.move(cx, cy);
      await page.mouse.down({ button: 'middle' });
      for (let i = 0; i < 120; i++) await page.mouse.move(cx + 300 * Math.sin(i / 10), cy + 200 * Math.cos(i / 13));
      await page.mouse.up({ button: 'middle' });
      const panFit = await stop();

      // Pan zoomed in (past the cache limit: culling leaves a part of the polygons on screen).
      await page.keyboard.press('0');
      for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -120);
      stop = await startFrameCollector(page);
      await page.mouse.down({ button: 'middle' });
      for (let i = 0; i < 120; i++) await page.mouse.move(cx + 300 * Math.sin(i / 10), cy + 200 * Math.cos(i / 13));
      await page.mouse.up({ button: 'middle' });
      const panZoomed = await stop();
      const zoomedScale = Number((await page.getByTestId('canvas').getAttribute('data-view'))!.split(',')[0]);

      // Zoom in and out at the cursor with the wheel.
      await page.keyboard.press('0');
      stop = await startFrameCollector(page);
      for (let i = 0; i < 80; i++) {
        await page.mouse.move(cx + (i % 7) * 20, cy + (i % 5) * 20);
        await page.mouse.wheel(0, i < 40 ? -100 : 100);
      }
      const zoom = await stop();

      // Commit one edit: select a polygon (Tab) and change its class with 1/2, waiting for each save.
      await page.keyboard.press('0');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Tab');
      const edits: number[] = [];
      const saves: number[] = [];
      for (let i = 0; i < 20; i++) {
        await page.evaluate(WATCH_SAVE);
        await page.keyboard.press(i % 2 ? '1' : '2');
        const [total, save] = (await page.evaluate('window.__save')) as [number, number];
        if (Number.isNaN(total)) throw new Error(`edit ${i}: no save within 10 s (did the key change the class?)`);
        edits.push(total);
        saves.push(save);
      }

      const rows: [string, string, string, string][] = [
        ['pan, fit (1,000 polygons visible): draw / frame', fmt(median(panFit.draw)), fmt(p95(panFit.draw)), '≤ 16 ms'],
        ['pan, fit: frame interval', fmt(median(panFit.interval)), fmt(p95(panFit.interval)), '≤ 16.7 ms'],
        [`pan at ${Math.round(zoomedScale * 100)} % (culled, not cached): draw / frame`, fmt(median(panZoomed.draw)), fmt(p95(panZoomed.draw)), '≤ 16 ms'],
        [`pan at ${Math.round(zoomedScale * 100)} %: frame interval`, fmt(median(panZoomed.interval)), fmt(p95(panZoomed.interval)), '≤ 16.7 ms'],
        ['wheel zoom: draw / frame', fmt(median(zoom.draw)), fmt(p95(zoom.draw)), '≤ 16 ms'],
        ['wheel zoom: frame interval', fmt(median(zoom.interval)), fmt(p95(zoom.interval)), '≤ 16.7 ms'],
        ['grid click (cold) → first paint, thumbnail stand-in', fmt(coldFirst), fmt(coldFirst), '≤ 150 ms'],
        ['grid click (cold) → full-resolution paint', fmt(coldFull), fmt(coldFull), ''],
        [`D/F (${nav.full.length}) → first paint`, fmt(median(nav.first)), fmt(Math.max(...nav.first)), '≤ 150 ms'],
        [`D/F (${nav.full.length}) → full-resolution paint`, fmt(median(nav.full)), fmt(Math.max(...nav.full)), '≤ 150 ms'],
        ['edit (class key) → saved, in the app', fmt(median(edits)), fmt(p95(edits)), ''],
        ['  of which the annotations.apply call', fmt(median(saves)), fmt(p95(saves)), ''],
        ['annotations.apply in the store alone', fmt(median(storeTimes)), fmt(p95(storeTimes)), ''],
      ];
      console.log(`\nCanvas bench: ${W}×${H} image, ${POLYGONS} polygons, Chromium headless (--disable-gpu), viewport 1600×1000\n`);
      const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), ['measure', 'median ms', 'p95/max ms', 'goal'][c].length));
      const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
      console.log(line(['measure', 'median ms', 'p95/max ms', 'goal']));
      console.log(widths.map((w) => '-'.repeat(w)).join('  '));
      for (const r of rows) console.log(line(r));
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    workbench.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '–';
}

await main();
