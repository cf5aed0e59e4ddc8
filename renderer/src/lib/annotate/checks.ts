import type { Geometry } from '../../../../electron/api.ts';
import { isSelfIntersecting } from '../../../../trainer/common/geometry/polygon.ts';

// Geometry objects are replaced, never mutated, so the answer can be kept per object.
const crossing = new WeakMap<Geometry, boolean>();

/** True for polygons with a ring that crosses itself (flagged in the shape list; COCO tools misread them). */
export function crossesItself(geometry: Geometry): boolean {
  if (geometry.kind !== 'polygon') return false;
  let answer = crossing.get(geometry);
  if (answer === undefined) {
    answer = geometry.rings.some(isSelfIntersecting);
    crossing.set(geometry, answer);
  }
  return answer;
}
