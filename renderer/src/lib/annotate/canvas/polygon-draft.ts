// The polygon being drawn with the P tool: its points (image pixels), the rubber band to the pointer and
// the vertex dots on the edit layer. Closing it into a ring is plain maths (draftRing).
import Konva from 'konva';
import { polygonProblem, roundRing } from '../../../../../trainer/common/geometry/polygon.ts';

export interface DraftHost {
  /** The interactive layer the draft is drawn on. */
  layer: Konva.Layer;
  /** The active class's colour. */
  color(): string;
  /** Where the pointer is, in image pixels (the rubber band's end), if over the canvas. */
  pointer(): { x: number; y: number } | null;
  /** Screen px per image px. */
  scale(): number;
}

export class PolygonDraft {
  readonly #host: DraftHost;
  readonly #line = new Konva.Line({ points: [], stroke: '#fff', strokeWidth: 1.5, strokeScaleEnabled: false, listening: false, visible: false });
  readonly #dots = new Konva.Group({ listening: false });
  #points: number[] | null = null;

  constructor(host: DraftHost) {
    this.#host = host;
    host.layer.add(this.#line, this.#dots);
  }

  get active(): boolean {
    return this.#points !== null;
  }

  get points(): readonly number[] | null {
    return this.#points;
  }

  /** Adds a point; returns true instead when the click lands on the first point of a drawable polygon (it closes). */
  click(p: { x: number; y: number }): boolean {
    const points = this.#points;
    if (!points) {
      this.#points = [p.x, p.y];
    } else {
      const closeRadius = 8 / this.#host.scale();
      if (points.length >= 6 && Math.hypot(p.x - points[0], p.y - points[1]) <= closeRadius) return true;
      points.push(p.x, p.y);
    }
    this.redraw();
    return false;
  }

  removeLast(): void {
    const points = this.#points;
    if (!points) return;
    points.splice(-2, 2);
    if (points.length === 0) this.cancel();
    else this.redraw();
  }

  cancel(): void {
    this.#points = null;
    this.redraw();
  }

  redraw(): void {
    const points = this.#points;
    const layer = this.#host.layer;
    this.#dots.destroyChildren();
    if (!points) {
      this.#line.visible(false);
      layer.batchDraw();
      return;
    }
    const color = this.#host.color();
    const pointer = this.#host.pointer();
    const tail: number[] = pointer ? [pointer.x, pointer.y] : [];
    this.#line.points([...points, ...tail]);
    this.#line.stroke(color);
    this.#line.visible(true);
    const r = 4 / this.#host.scale();
    for (let i = 0; i < points.length; i += 2) {
      this.#dots.add(
        new Konva.Circle({ x: points[i], y: points[i + 1], radius: i === 0 ? r * 1.6 : r, fill: i === 0 ? color : '#fff', stroke: color, strokeWidth: 1, strokeScaleEnabled: false, listening: false }),
      );
    }
    layer.batchDraw();
  }
}

/** The drafted points as a ring inside a W×H image (clamped, rounded), and why it cannot be kept, if it cannot. */
export function draftRing(points: readonly number[], width: number, height: number): { ring: number[]; problem: string | null } {
  const ring = roundRing(points.map((v, i) => Math.max(0, Math.min(i % 2 === 0 ? width : height, v))));
  return { ring, problem: polygonProblem([ring]) };
}
