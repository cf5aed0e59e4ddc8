// Read-only Konva nodes for annotations that are not being edited. They live on a listening(false)
// layer (no hit graph to redraw); clicks are resolved by `hitTest` on the model's coordinates instead.
import Konva from 'konva';
import type { Annotation } from '../../../../../electron/api.ts';
import { pointInRings, nearestEdge } from '../../../../../trainer/common/geometry/polygon.ts';
import { cropToCanvas, rleToCrop } from '../../geometry/mask-rle.ts';
import type { MaskCrop } from '../../../../../trainer/common/geometry/mask.ts';

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

/**
 * Read-only shapes stroke with `lineWidth()` image px, one value shared by all of them (1.5 screen px
 * at the zoom they were drawn for), instead of Konva's strokeScaleEnabled(false): that resets the
 * transform per shape and would draw hairlines into a cached bitmap.
 */
export function buildStaticShape(annotation: Annotation, color: string, lineWidth: () => number): StaticShape {
  const g = annotation.geometry;
  if (g.kind === 'mask') {
    const { crop, canvas } = maskImage(annotation as Annotation & { geometry: { kind: 'mask' } }, color);
    const node = new Konva.Image({ image: canvas ?? undefined, x: crop?.x ?? 0, y: crop?.y ?? 0, listening: false, perfectDrawEnabled: false });
    return { annotation, color, crop, node };
  }
  const fill = withAlpha(color, g.kind === 'box' ? 0.12 : 0.25);
  const trace =
    g.kind === 'box'
      ? (ctx: Konva.Context) => ctx.rect(g.bbox[0], g.bbox[1], g.bbox[2], g.bbox[3])
      : (ctx: Konva.Context) => {
          for (const ring of g.rings) {
            if (ring.length < 2) continue;
            ctx.moveTo(ring[0], ring[1]);
            for (let i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i], ring[i + 1]);
            ctx.closePath();
          }
        };
  const node = new Konva.Shape({
    listening: false,
    perfectDrawEnabled: false,
    sceneFunc(ctx) {
      ctx.beginPath();
      trace(ctx);
      ctx.setAttr('fillStyle', fill);
      ctx.fill();
      ctx.setAttr('lineWidth', lineWidth());
      ctx.setAttr('strokeStyle', color);
      ctx.stroke();
    },
  });
  return { annotation, color, crop: null, node };
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
