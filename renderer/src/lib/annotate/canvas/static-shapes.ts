// Read-only Konva nodes for annotations that are not being edited. They live on a listening(false)
// layer (no hit graph to redraw); clicks are resolved by `hitTest` on the model's coordinates instead.
import Konva from 'konva';
import type { Annotation } from '../../../../../electron/api.ts';
import { pointInRings, nearestEdge } from '../../geometry/polygon.ts';
import { cropToCanvas, rleToCrop } from '../../geometry/mask-rle.ts';
import type { MaskCrop } from '../../geometry/mask.ts';

export interface StaticShape {
  annotation: Annotation;
  color: string;
  node: Konva.Shape;
  /** Decoded mask for masks (hit testing and the editor outline). */
  crop: MaskCrop | null;
}

export function withAlpha(hex: string, alpha: number): string {
  const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Draws all rings as one path, so holes and multi-part polygons fill like COCO reads them. */
export function ringsSceneFunc(rings: () => number[][]) {
  return (ctx: Konva.Context, shape: Konva.Shape) => {
    ctx.beginPath();
    for (const ring of rings()) {
      if (ring.length < 2) continue;
      ctx.moveTo(ring[0], ring[1]);
      for (let i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i], ring[i + 1]);
      ctx.closePath();
    }
    ctx.fillStrokeShape(shape);
  };
}

const maskCanvasCache = new Map<string, { crop: MaskCrop | null; canvas: HTMLCanvasElement | null }>();

function maskImage(annotation: Annotation & { geometry: { kind: 'mask' } }, color: string) {
  const key = `${color}|${annotation.geometry.rle.size.join('x')}|${annotation.geometry.rle.counts}`;
  let cached = maskCanvasCache.get(key);
  if (!cached) {
    const crop = rleToCrop(annotation.geometry.rle);
    cached = { crop, canvas: crop ? cropToCanvas(crop, color, 120) : null };
    if (maskCanvasCache.size > 400) maskCanvasCache.delete(maskCanvasCache.keys().next().value!);
    maskCanvasCache.set(key, cached);
  }
  return cached;
}

export function buildStaticShape(annotation: Annotation, color: string): StaticShape {
  const common = {
    listening: false,
    perfectDrawEnabled: false,
    shadowForStrokeEnabled: false,
    strokeScaleEnabled: false,
    stroke: color,
    strokeWidth: 1.5,
  };
  const g = annotation.geometry;
  if (g.kind === 'box') {
    const [x, y, width, height] = g.bbox;
    return { annotation, color, crop: null, node: new Konva.Rect({ ...common, x, y, width, height, fill: withAlpha(color, 0.12) }) };
  }
  if (g.kind === 'polygon') {
    const rings = g.rings;
    return { annotation, color, crop: null, node: new Konva.Shape({ ...common, fill: withAlpha(color, 0.25), sceneFunc: ringsSceneFunc(() => rings) }) };
  }
  const { crop, canvas } = maskImage(annotation as Annotation & { geometry: { kind: 'mask' } }, color);
  const node = new Konva.Image({
    image: canvas ?? undefined,
    x: crop?.x ?? 0,
    y: crop?.y ?? 0,
    listening: false,
    perfectDrawEnabled: false,
  });
  return { annotation, color, crop, node };
}

/**
 * The annotation under image point (x, y): among all shapes containing it, the smallest, so objects
 * inside larger ones stay reachable. `slop` (image px) widens box and polygon edges for easy picking.
 */
export function hitTest(shapes: Iterable<StaticShape>, x: number, y: number, slop: number): Annotation | null {
  let best: Annotation | null = null;
  let bestArea = Infinity;
  for (const { annotation: a, crop } of shapes) {
    const [bx, by, bw, bh] = a.bbox;
    if (x < bx - slop || y < by - slop || x > bx + bw + slop || y > by + bh + slop) continue;
    let inside = false;
    const g = a.geometry;
    if (g.kind === 'box') inside = true;
    else if (g.kind === 'polygon') inside = pointInRings(g.rings, x, y) || g.rings.some((r) => nearestEdge(r, x, y).distance <= slop);
    else if (crop) {
      const cx = Math.floor(x) - crop.x, cy = Math.floor(y) - crop.y;
      inside = cx >= 0 && cy >= 0 && cx < crop.w && cy < crop.h && crop.data[cy * crop.w + cx] === 1;
    }
    const area = Math.max(1, bw * bh);
    if (inside && area < bestArea) {
      best = a;
      bestArea = area;
    }
  }
  return best;
}
