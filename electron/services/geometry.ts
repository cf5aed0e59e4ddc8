// Checks annotation geometry and derives what the store keeps beside it: the tight box and the true area.
// Areas follow COCO: a polygon's or mask's area is the number of pixels its rasterised mask covers
// (pycocotools' rasterisation), a plain box's is w*h.
import type { AnnotationDraft, Geometry } from '../api.ts';
import { rleArea, rleFromPolygons, rleToBbox, decompressCounts } from '../../trainer/common/rle.ts';
import { UserError } from './errors.ts';

export interface DerivedGeometry {
  bbox: [number, number, number, number];
  area: number;
}

/** Validates `geometry` for an image of `width`×`height`; throws UserError naming `what` and the problem. */
export function deriveGeometry(geometry: Geometry, width: number, height: number, what = 'annotation'): DerivedGeometry {
  switch (geometry?.kind) {
    case 'box': {
      const b = geometry.bbox;
      if (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite)) throw new UserError(`${what}: box must be 4 finite numbers [x, y, w, h].`);
      if (b[2] <= 0 || b[3] <= 0) throw new UserError(`${what}: box has non-positive size ${b[2]}×${b[3]}.`);
      return { bbox: [b[0], b[1], b[2], b[3]], area: b[2] * b[3] };
    }
    case 'polygon': {
      const rings = geometry.rings;
      if (!Array.isArray(rings) || rings.length === 0) throw new UserError(`${what}: polygon has no rings.`);
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      rings.forEach((ring, r) => {
        if (!Array.isArray(ring) || ring.length % 2 !== 0) throw new UserError(`${what}: polygon ring ${r} must be a flat list of x, y pairs.`);
        if (!ring.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new UserError(`${what}: polygon ring ${r} has a NaN or infinite coordinate.`);
        if (distinctPoints(ring) < 3) throw new UserError(`${what}: polygon ring ${r} has fewer than 3 distinct points.`);
        for (let i = 0; i < ring.length; i += 2) {
          x0 = Math.min(x0, ring[i]); x1 = Math.max(x1, ring[i]);
          y0 = Math.min(y0, ring[i + 1]); y1 = Math.max(y1, ring[i + 1]);
        }
      });
      if (x1 - x0 <= 0 || y1 - y0 <= 0) throw new UserError(`${what}: polygon has zero area.`);
      const area = rleArea(rleFromPolygons(rings, height, width));
      if (area === 0) throw new UserError(`${what}: polygon covers no pixel of the ${width}×${height} image.`);
      return { bbox: [x0, y0, x1 - x0, y1 - y0], area };
    }
    case 'mask': {
      const rle = geometry.rle;
      if (!rle || !Array.isArray(rle.size) || typeof rle.counts !== 'string') throw new UserError(`${what}: mask must be a compressed RLE {size, counts}.`);
      if (rle.size[0] !== height || rle.size[1] !== width) {
        throw new UserError(`${what}: mask size ${rle.size[0]}×${rle.size[1]} (h×w) does not match the image ${height}×${width}.`);
      }
      let runs: number[];
      try {
        runs = decompressCounts(rle.counts);
      } catch {
        throw new UserError(`${what}: mask RLE counts are not a valid COCO RLE string.`);
      }
      const total = runs.reduce((s, v) => s + v, 0);
      if (total !== width * height || runs.some((v) => v < 0)) throw new UserError(`${what}: mask RLE covers ${total} pixels, the image has ${width * height}.`);
      const area = rleArea(rle);
      if (area === 0) throw new UserError(`${what}: mask is empty.`);
      return { bbox: rleToBbox(rle), area };
    }
    default:
      throw new UserError(`${what}: unknown geometry kind ${(geometry as { kind?: unknown })?.kind}.`);
  }
}

function distinctPoints(ring: number[]): number {
  const seen = new Set<string>();
  for (let i = 0; i < ring.length; i += 2) seen.add(`${ring[i]},${ring[i + 1]}`);
  return seen.size;
}

export function validateDraft(draft: AnnotationDraft, width: number, height: number, what?: string): DerivedGeometry {
  if (!draft || typeof draft !== 'object') throw new UserError(`${what ?? 'annotation'}: missing.`);
  return deriveGeometry(draft.geometry, width, height, what);
}
