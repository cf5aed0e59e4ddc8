// Brush and eraser maths: what one finished stroke does to the image's masks, as plain data the view
// turns into an edit. No Konva here, so it runs (and is tested) under Node.
import type { Annotation, AnnotationOp, Geometry } from '../../../../../electron/api.ts';
import { rleFromMask, rleToMask } from '../../../../../trainer/common/rle.ts';
import { stampStroke } from '../../../../../trainer/common/geometry/mask.ts';
import { plural } from '../../../../../trainer/common/plural.ts';

export interface StrokeImage {
  width: number;
  height: number;
}

/** A brush stroke paints into the selected mask, or makes a new one; `null` when it painted no pixel. */
export type BrushResult = { target: Annotation | null; geometry: Geometry } | null;

export function brushStroke(image: StrokeImage, selected: Annotation | null, points: number[], radius: number): BrushResult {
  const { width: W, height: H } = image;
  const target = selected?.geometry.kind === 'mask' ? selected : null;
  const mask = target && target.geometry.kind === 'mask' ? rleToMask(target.geometry.rle) : new Uint8Array(W * H);
  if (stampStroke(mask, W, H, points, radius, 1) === 0) return null;
  return { target, geometry: { kind: 'mask', rle: rleFromMask(mask, H, W) } };
}

export interface EraseResult {
  /** One update per mask that lost pixels, one delete per mask left empty. */
  ops: AnnotationOp[];
  /** What to tell the user (nothing erased, or masks deleted), if anything. */
  notice: string | null;
}

/** The eraser works on the selected mask, or on every mask under the stroke when none is selected. */
export function eraserStroke(image: StrokeImage, annotations: readonly Annotation[], selected: Annotation | null, points: number[], radius: number): EraseResult {
  const { width: W, height: H } = image;
  const [sx0, sy0, sx1, sy1] = strokeBounds(points, radius);
  const targets = selected?.geometry.kind === 'mask'
    ? [selected]
    : annotations.filter((a) => a.geometry.kind === 'mask' && a.bbox[0] <= sx1 && a.bbox[1] <= sy1 && a.bbox[0] + a.bbox[2] >= sx0 && a.bbox[1] + a.bbox[3] >= sy0);
  const ops: AnnotationOp[] = [];
  let emptied = 0;
  for (const a of targets) {
    if (a.geometry.kind !== 'mask') continue;
    const mask = rleToMask(a.geometry.rle);
    if (stampStroke(mask, W, H, points, radius, 0) === 0) continue;
    if (mask.indexOf(1) < 0) {
      ops.push({ op: 'delete', id: a.id });
      emptied++;
    } else ops.push({ op: 'update', id: a.id, patch: { geometry: { kind: 'mask', rle: rleFromMask(mask, H, W) } } });
  }
  if (ops.length === 0) return { ops, notice: targets.length === 0 ? 'The eraser removes mask pixels; there is no mask under this stroke.' : null };
  return { ops, notice: emptied > 0 ? `${plural(emptied, 'mask')} erased completely and deleted.` : null };
}

/** The stroke's bounding box grown by the brush radius: x0, y0, x1, y1. */
export function strokeBounds(points: number[], r: number): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    x0 = Math.min(x0, points[i]); x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]); y1 = Math.max(y1, points[i + 1]);
  }
  return [x0 - r, y0 - r, x1 + r, y1 + r];
}
