// Light outlines of each image's labels for the grid's tiles: polygons (rings thinned to at most 48 points)
// and, for boxes and brush masks, the box. Pixel coordinates of the image.
import type { AnnotationOutline } from '../api.ts';
import { UserError } from './errors.ts';
import type { Project } from './project.ts';

const MAX_POINTS = 48;

function thin(ring: number[]): number[] {
  const n = ring.length / 2;
  if (n <= MAX_POINTS) return ring.map((v) => Math.round(v));
  const out: number[] = [];
  for (let k = 0; k < MAX_POINTS; k++) {
    const i = Math.floor((k * n) / MAX_POINTS);
    out.push(Math.round(ring[2 * i]), Math.round(ring[2 * i + 1]));
  }
  return out;
}

export function annotationOutlines(project: Project, imageIds: number[]): Record<number, AnnotationOutline[]> {
  if (!Array.isArray(imageIds) || !imageIds.every((id) => Number.isInteger(id))) throw new UserError('Image ids must be whole numbers.');
  const out: Record<number, AnnotationOutline[]> = {};
  const query = project.db.prepare('SELECT class_id, kind, geometry, bbox FROM annotations WHERE image_id = ? ORDER BY id');
  for (const id of new Set(imageIds)) {
    out[id] = (query.all(id) as { class_id: number; kind: string; geometry: string; bbox: string }[]).map((row) => {
      const bbox = JSON.parse(row.bbox) as [number, number, number, number];
      if (row.kind === 'polygon') return { classId: row.class_id, rings: (JSON.parse(row.geometry).rings as number[][]).map(thin) };
      const [x, y, w, h] = bbox.map((v) => Math.round(v));
      return { classId: row.class_id, rings: [[x, y, x + w, y, x + w, y + h, x, y + h]] };
    });
  }
  return out;
}
