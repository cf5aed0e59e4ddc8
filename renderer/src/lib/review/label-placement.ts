// Where the review canvas writes each prediction's name and score, so that labels never overlap: greedy, in
// priority order (the selected prediction, then the hovered one, then by score), each label takes the first
// free spot of a few around its box — above-left, below-left, inside top-left, above-right, below-right — and
// a label with no free spot is hidden (its class and score stay one hover away). Pure: canvas px in, rects out.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LabelRequest {
  id: number;
  /** The prediction's box in canvas px. */
  box: Rect;
  /** The label's measured size in canvas px. */
  width: number;
  height: number;
  /** Higher goes first; ties by score, then id. */
  priority: number;
  score: number;
}

export interface LabelPlacement {
  /** Placed labels by prediction id, in placement order. */
  placed: Map<number, Rect>;
  /** Predictions whose label found no free spot. */
  hidden: number[];
}

const GAP = 2;

export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** The candidate spots for one label, in order of preference, shifted sideways to stay inside `bounds`. */
export function candidates(request: LabelRequest, bounds: Rect): Rect[] {
  const { box, width: w, height: h } = request;
  const left = box.x;
  const right = box.x + box.w - w;
  const above = box.y - h - GAP;
  const below = box.y + box.h + GAP;
  const spots = [
    { x: left, y: above },
    { x: left, y: below },
    { x: left + GAP, y: box.y + GAP },
    { x: right, y: above },
    { x: right, y: below },
  ];
  const maxX = bounds.x + bounds.w - w;
  return spots
    .map((s) => ({ x: Math.max(bounds.x, Math.min(s.x, maxX)), y: s.y, w, h }))
    .filter((r) => r.y >= bounds.y && r.y + h <= bounds.y + bounds.h);
}

/**
 * Places labels greedily without overlaps. The first label in priority order is always placed (clamped into
 * `bounds` when none of its spots fits), so the selected prediction always shows its name.
 */
export function placeLabels(requests: LabelRequest[], bounds: Rect): LabelPlacement {
  const order = [...requests].sort((a, b) => b.priority - a.priority || b.score - a.score || a.id - b.id);
  const placed = new Map<number, Rect>();
  const hidden: number[] = [];
  const taken: Rect[] = [];
  order.forEach((request, index) => {
    const pad = (r: Rect): Rect => ({ x: r.x - GAP / 2, y: r.y - GAP / 2, w: r.w + GAP, h: r.h + GAP });
    let spot = candidates(request, bounds).find((r) => !taken.some((t) => overlaps(pad(r), t)));
    if (!spot && index === 0) {
      const { box, width: w, height: h } = request;
      spot = {
        x: Math.max(bounds.x, Math.min(box.x, bounds.x + bounds.w - w)),
        y: Math.max(bounds.y, Math.min(box.y - h - GAP, bounds.y + bounds.h - h)),
        w,
        h,
      };
    }
    if (!spot) {
      hidden.push(request.id);
      return;
    }
    placed.set(request.id, spot);
    taken.push(spot);
  });
  return { placed, hidden };
}
