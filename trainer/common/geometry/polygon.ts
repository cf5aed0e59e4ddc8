// Polygon helpers on COCO rings (flat [x0, y0, x1, y1, ...] in image pixels). Pure; unit-tested.

export type Ring = number[];
export type Bbox = [x: number, y: number, w: number, h: number];

export function pointCount(ring: Ring): number {
  return ring.length >> 1;
}

export function distinctPointCount(ring: Ring): number {
  const seen = new Set<string>();
  for (let i = 0; i < ring.length; i += 2) seen.add(`${ring[i]},${ring[i + 1]}`);
  return seen.size;
}

/** Signed shoelace area; positive when the ring runs clockwise on screen (y down). */
export function signedArea(ring: Ring): number {
  let sum = 0;
  const n = ring.length;
  for (let i = 0; i < n; i += 2) {
    const j = (i + 2) % n;
    sum += ring[i] * ring[j + 1] - ring[j] * ring[i + 1];
  }
  return sum / 2;
}

export function ringsBbox(rings: Ring[]): Bbox {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const ring of rings) {
    for (let i = 0; i < ring.length; i += 2) {
      if (ring[i] < x0) x0 = ring[i];
      if (ring[i] > x1) x1 = ring[i];
      if (ring[i + 1] < y0) y0 = ring[i + 1];
      if (ring[i + 1] > y1) y1 = ring[i + 1];
    }
  }
  return Number.isFinite(x0) ? [x0, y0, x1 - x0, y1 - y0] : [0, 0, 0, 0];
}

/** Why a ring cannot be saved, or null when it can. Self-intersection is only a warning (see below). */
export function polygonProblem(rings: Ring[]): string | null {
  if (rings.length === 0) return 'A polygon needs at least 3 distinct points.';
  for (const ring of rings) {
    if (distinctPointCount(ring) < 3) return 'A polygon needs at least 3 distinct points.';
    if (Math.abs(signedArea(ring)) < 1e-6) return 'This polygon has zero area (its points lie on one line).';
  }
  return null;
}

function segmentsCross(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  const d1 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx);
  const d2 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx);
  const d3 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  const d4 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

/** True when two non-adjacent edges of the ring properly cross. O(n²), fine for hand-drawn rings. */
export function isSelfIntersecting(ring: Ring): boolean {
  const n = pointCount(ring);
  if (n < 4) return false;
  for (let i = 0; i < n; i++) {
    const i2 = (i + 1) % n;
    for (let j = i + 2; j < n; j++) {
      const j2 = (j + 1) % n;
      if (j2 === i) continue; // adjacent through the closing edge
      if (
        segmentsCross(ring[2 * i], ring[2 * i + 1], ring[2 * i2], ring[2 * i2 + 1], ring[2 * j], ring[2 * j + 1], ring[2 * j2], ring[2 * j2 + 1])
      ) {
        return true;
      }
    }
  }
  return false;
}

/** Even-odd point-in-polygon over all rings (a ring inside another reads as a hole). */
export function pointInRings(rings: Ring[], x: number, y: number): boolean {
  let inside = false;
  for (const ring of rings) {
    const n = ring.length;
    for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
      const xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** The edge (index of its first vertex) nearest to (x, y) and the distance to it. */
export function nearestEdge(ring: Ring, x: number, y: number): { edge: number; distance: number; t: number } {
  const n = pointCount(ring);
  let best = { edge: -1, distance: Infinity, t: 0 };
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const ax = ring[2 * i], ay = ring[2 * i + 1], bx = ring[2 * j], by = ring[2 * j + 1];
    const vx = bx - ax, vy = by - ay;
    const len2 = vx * vx + vy * vy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / len2));
    const distance = Math.hypot(ax + t * vx - x, ay + t * vy - y);
    if (distance < best.distance) best = { edge: i, distance, t };
  }
  return best;
}

/** A copy of the ring with (x, y) inserted after vertex `edge`. */
export function insertVertex(ring: Ring, edge: number, x: number, y: number): Ring {
  const out = ring.slice();
  out.splice(2 * edge + 2, 0, x, y);
  return out;
}

/** A copy without vertex `index`, or null when fewer than 3 points would remain. */
export function removeVertex(ring: Ring, index: number): Ring | null {
  if (pointCount(ring) <= 3) return null;
  const out = ring.slice();
  out.splice(2 * index, 2);
  return out;
}

export function moveVertex(ring: Ring, index: number, x: number, y: number): Ring {
  const out = ring.slice();
  out[2 * index] = x;
  out[2 * index + 1] = y;
  return out;
}

export function translateRings(rings: Ring[], dx: number, dy: number): Ring[] {
  return rings.map((ring) => ring.map((v, i) => (i % 2 === 0 ? v + dx : v + dy)));
}

/** Douglas–Peucker on a closed ring; keeps at least 3 points. */
export function simplifyRing(ring: Ring, tolerance: number): Ring {
  const n = pointCount(ring);
  if (n <= 4) return ring.slice();
  // Split the closed ring at vertex 0 and the vertex farthest from it, simplify both halves.
  let far = 0, farD = -1;
  for (let i = 1; i < n; i++) {
    const d = Math.hypot(ring[2 * i] - ring[0], ring[2 * i + 1] - ring[1]);
    if (d > farD) (farD = d), (far = i);
  }
  const keep = new Uint8Array(n);
  keep[0] = keep[far] = 1;
  const stack: [number, number][] = [[0, far], [far, n]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const bi = b % n;
    const ax = ring[2 * a], ay = ring[2 * a + 1], bx = ring[2 * bi], by = ring[2 * bi + 1];
    const vx = bx - ax, vy = by - ay;
    const len = Math.hypot(vx, vy);
    let maxD = -1, maxI = -1;
    for (let i = a + 1; i < b; i++) {
      const px = ring[2 * i], py = ring[2 * i + 1];
      const d = len === 0 ? Math.hypot(px - ax, py - ay) : Math.abs(vx * (ay - py) - vy * (ax - px)) / len;
      if (d > maxD) (maxD = d), (maxI = i);
    }
    if (maxI >= 0 && maxD > tolerance) {
      keep[maxI] = 1;
      stack.push([a, maxI], [maxI, b]);
    }
  }
  const out: Ring = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(ring[2 * i], ring[2 * i + 1]);
  if (out.length < 6) return ring.slice();
  return out;
}

/** Rounds coordinates to 1/100 px so stored numbers stay short and stable. */
export function roundRing(ring: Ring): Ring {
  return ring.map((v) => Math.round(v * 100) / 100);
}
