// Binary masks in image pixels: brush stamping, cropping for display, and contour tracing (mask → rings).
// Full-size masks are row-major Uint8Array h×w of 0/1, the same layout trainer/common/rle.ts uses.
import type { Ring } from './polygon.ts';
import { signedArea, simplifyRing } from './polygon.ts';

export interface MaskCrop {
  /** Top-left of the crop in image pixels. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Row-major w×h, 0/1. */
  data: Uint8Array;
}

/** Tight crop of the foreground, or null for an empty mask. */
export function cropMask(mask: Uint8Array, width: number, height: number): MaskCrop | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (mask[row + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) data.set(mask.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  return { x: x0, y: y0, w, h, data };
}

export function maskArea(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}

/**
 * Paints a round-brush stroke through `points` (flat x, y in image pixels) with `radius` into `mask`:
 * every pixel whose centre lies within `radius` of the polyline gets `value` (1 brush, 0 eraser).
 * Returns the number of pixels whose value changed.
 */
export function stampStroke(mask: Uint8Array, width: number, height: number, points: number[], radius: number, value: 0 | 1): number {
  let changed = 0;
  const r2 = radius * radius;
  const segments = Math.max(1, points.length / 2 - 1);
  for (let s = 0; s < segments; s++) {
    const ax = points[2 * s], ay = points[2 * s + 1];
    const bx = points.length >= 4 ? points[2 * s + 2] : ax;
    const by = points.length >= 4 ? points[2 * s + 3] : ay;
    const vx = bx - ax, vy = by - ay;
    const len2 = vx * vx + vy * vy;
    const xMin = Math.max(0, Math.floor(Math.min(ax, bx) - radius));
    const xMax = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + radius));
    const yMin = Math.max(0, Math.floor(Math.min(ay, by) - radius));
    const yMax = Math.min(height - 1, Math.ceil(Math.max(ay, by) + radius));
    for (let y = yMin; y <= yMax; y++) {
      const py = y + 0.5;
      for (let x = xMin; x <= xMax; x++) {
        const i = y * width + x;
        if (mask[i] === value) continue;
        const px = x + 0.5;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * vx + (py - ay) * vy) / len2));
        const dx = ax + t * vx - px, dy = ay + t * vy - py;
        if (dx * dx + dy * dy <= r2) {
          mask[i] = value;
          changed++;
        }
      }
    }
  }
  return changed;
}

export interface TracedContours {
  /** Outer boundaries, clockwise on screen. */
  outer: Ring[];
  /** Hole boundaries, counter-clockwise on screen. */
  holes: Ring[];
}

/**
 * Traces the pixel-edge boundaries of a mask ("crack following"): every foreground pixel side that
 * faces background becomes a directed unit edge with the foreground on its right, and the edges are
 * chained into closed loops. Where two loops touch diagonally the walk turns right, so each
 * 4-connected component gets its own loop. Collinear runs are merged; `tolerance` > 0 additionally
 * simplifies with Douglas–Peucker (in pixels).
 */
export function traceContours(mask: Uint8Array, width: number, height: number, tolerance = 0): TracedContours {
  const W = width + 1;
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] === 1;
  // Each corner has at most two outgoing edges (the diagonal case); store them as direction codes.
  // Directions: 0 right (+x), 1 down (+y), 2 left (-x), 3 up (-y).
  const out = new Map<number, number[]>();
  const add = (cx: number, cy: number, dir: number) => {
    const key = cy * W + cx;
    const list = out.get(key);
    if (list) list.push(dir);
    else out.set(key, [dir]);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      if (!at(x, y - 1)) add(x, y, 0); // top side, walk right
      if (!at(x + 1, y)) add(x + 1, y, 1); // right side, walk down
      if (!at(x, y + 1)) add(x + 1, y + 1, 2); // bottom side, walk left
      if (!at(x - 1, y)) add(x, y + 1, 3); // left side, walk up
    }
  }
  const DX = [1, 0, -1, 0], DY = [0, 1, 0, -1];
  const outer: Ring[] = [], holes: Ring[] = [];
  for (const [startKey, startList] of out) {
    while (startList.length > 0) {
      let cx = startKey % W, cy = (startKey - cx) / W;
      let dir = startList.pop()!;
      const startDir = dir;
      const ring: Ring = [];
      let prevDir = -1;
      for (;;) {
        if (dir !== prevDir) ring.push(cx, cy); // a corner of the staircase
        prevDir = dir;
        cx += DX[dir];
        cy += DY[dir];
        const key = cy * W + cx;
        const list = out.get(key);
        if (!list || list.length === 0) break; // back at the start (its edge was consumed first)
        // A diagonal start corner keeps its second edge: it belongs to this loop only if it is not
        // the partner (right turn) of the edge we arrived on.
        if (key === startKey && (dir + 1) % 4 === startDir) break;
        let pick = 0;
        if (list.length > 1) {
          const right = (dir + 1) % 4; // with foreground on the right, turning right hugs the same pixel
          pick = list.indexOf(right) >= 0 ? list.indexOf(right) : 0;
        }
        dir = list.splice(pick, 1)[0];
      }
      // The first vertex may sit mid-run when the loop began on a straight stretch; drop it if collinear.
      dropCollinearStart(ring);
      if (ring.length < 6) continue;
      const simplified = tolerance > 0 ? simplifyRing(ring, tolerance) : ring;
      (signedArea(ring) > 0 ? outer : holes).push(simplified);
    }
  }
  return { outer, holes };
}

function dropCollinearStart(ring: Ring): void {
  const n = ring.length / 2;
  if (n < 3) return;
  const px = ring[2 * (n - 1)], py = ring[2 * (n - 1) + 1];
  const nx = ring[2], ny = ring[3];
  const x = ring[0], y = ring[1];
  if ((px === x && x === nx) || (py === y && y === ny)) ring.splice(0, 2);
}
