// Annotations: every edit the UI makes is one `applyOps` call, i.e. one SQLite transaction,
// so an edit is either fully saved or not at all.
import type { Annotation, AnnotationDraft, AnnotationOp, AnnotationsApplied, AnnotationSource, Geometry } from '../api.ts';
import { NotFoundError, UserError } from './errors.ts';
import { deriveGeometry } from './geometry.ts';
import { getImage } from './images.ts';
import type { Project } from './project.ts';

interface AnnotationRow {
  id: number;
  image_id: number;
  class_id: number;
  geometry: string;
  bbox: string;
  area: number;
  iscrowd: number;
  source: AnnotationSource;
  score: number | null;
  updated_at: string;
}

const toAnnotation = (r: AnnotationRow): Annotation => ({
  id: r.id,
  imageId: r.image_id,
  classId: r.class_id,
  geometry: JSON.parse(r.geometry) as Geometry,
  bbox: JSON.parse(r.bbox),
  area: r.area,
  iscrowd: r.iscrowd === 1,
  source: r.source,
  score: r.score,
  updatedAt: r.updated_at,
});

export function listAnnotations(project: Project, imageId: number): Annotation[] {
  return (project.db.prepare('SELECT * FROM annotations WHERE image_id = ? ORDER BY id').all(imageId) as AnnotationRow[]).map(toAnnotation);
}

/** All annotations of the project, grouped by image id (for export and snapshots). */
export function annotationsByImage(project: Project): Map<number, Annotation[]> {
  const out = new Map<number, Annotation[]>();
  for (const row of project.db.prepare('SELECT * FROM annotations ORDER BY image_id, id').all() as AnnotationRow[]) {
    const list = out.get(row.image_id) ?? [];
    list.push(toAnnotation(row));
    out.set(row.image_id, list);
  }
  return out;
}

function imageSize(project: Project, imageId: number): { width: number; height: number } {
  const row = project.db.prepare('SELECT width, height FROM images WHERE id = ?').get(imageId) as { width: number; height: number } | undefined;
  if (!row) throw new NotFoundError(`No image with id ${imageId}.`);
  return row;
}

function checkClass(project: Project, classId: number): void {
  if (!project.db.prepare('SELECT 1 FROM classes WHERE id = ?').get(classId)) throw new UserError(`No class with id ${classId}; create the class first.`);
}

/** Inserts one annotation without its own transaction; returns its id. */
export function insertAnnotation(project: Project, imageId: number, draft: AnnotationDraft, id?: number, what = 'annotation'): number {
  const { width, height } = imageSize(project, imageId);
  checkClass(project, draft.classId);
  const derived = deriveGeometry(draft.geometry, width, height, what);
  if (id !== undefined && project.db.prepare('SELECT 1 FROM annotations WHERE id = ?').get(id)) throw new UserError(`Annotation ${id} already exists.`);
  const info = project.db
    .prepare(
      `INSERT INTO annotations (id, image_id, class_id, kind, geometry, bbox, area, iscrowd, source, score, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(id ?? null, imageId, draft.classId, draft.geometry.kind, JSON.stringify(draft.geometry), JSON.stringify(derived.bbox), derived.area, draft.iscrowd ? 1 : 0, draft.source ?? 'manual', draft.score ?? null, new Date().toISOString());
  return Number(info.lastInsertRowid);
}

/**
 * Applies the operations in one transaction and returns what the caller needs to follow: the ids the
 * store gave the creates that carried a `ref`, the created and updated annotations as stored, and the
 * image's summary (its status may have moved between unlabelled and in progress).
 */
export function applyEdit(project: Project, imageId: number, ops: AnnotationOp[]): AnnotationsApplied {
  if (!Array.isArray(ops)) throw new UserError('Annotation edit must be a list of operations.');
  const { width, height } = imageSize(project, imageId);
  const created: AnnotationsApplied['created'] = [];
  const touched = new Set<number>();
  project.db.transaction(() => {
    for (const op of ops) {
      if (op.op === 'create') {
        if (op.ref !== undefined && (typeof op.ref !== 'number' || created.some((c) => c.ref === op.ref))) {
          throw new UserError(`Annotation create ref ${String(op.ref)} is not a number or is used twice in one edit.`);
        }
        const id = insertAnnotation(project, imageId, op.draft, op.id);
        touched.add(id);
        if (op.ref !== undefined) created.push({ ref: op.ref, id });
      } else if (op.op === 'update') {
        const row = project.db.prepare('SELECT * FROM annotations WHERE id = ? AND image_id = ?').get(op.id, imageId) as AnnotationRow | undefined;
        if (!row) throw new NotFoundError(`No annotation ${op.id} on image ${imageId}.`);
        const current = toAnnotation(row);
        const next: AnnotationDraft = {
          classId: op.patch.classId ?? current.classId,
          geometry: op.patch.geometry ?? current.geometry,
          iscrowd: op.patch.iscrowd ?? current.iscrowd,
          source: op.patch.source ?? current.source,
          score: op.patch.score !== undefined ? op.patch.score : current.score,
        };
        checkClass(project, next.classId);
        const derived = deriveGeometry(next.geometry, width, height, `annotation ${op.id}`);
        project.db
          .prepare('UPDATE annotations SET class_id = ?, kind = ?, geometry = ?, bbox = ?, area = ?, iscrowd = ?, source = ?, score = ?, updated_at = ? WHERE id = ?')
          .run(next.classId, next.geometry.kind, JSON.stringify(next.geometry), JSON.stringify(derived.bbox), derived.area, next.iscrowd ? 1 : 0, next.source, next.score ?? null, new Date().toISOString(), op.id);
        touched.add(op.id);
      } else if (op.op === 'delete') {
        const info = project.db.prepare('DELETE FROM annotations WHERE id = ? AND image_id = ?').run(op.id, imageId);
        if (info.changes === 0) throw new NotFoundError(`No annotation ${op.id} on image ${imageId}.`);
        touched.delete(op.id);
      } else {
        throw new UserError(`Unknown annotation operation ${(op as { op?: unknown }).op}.`);
      }
    }
    // An image with labels is at least in progress; one whose labels are all gone is unlabelled again.
    const count = (project.db.prepare('SELECT COUNT(*) AS n FROM annotations WHERE image_id = ?').get(imageId) as { n: number }).n;
    if (count > 0) project.db.prepare("UPDATE images SET status = 'in_progress' WHERE id = ? AND status = 'unlabelled'").run(imageId);
    else project.db.prepare("UPDATE images SET status = 'unlabelled' WHERE id = ? AND status = 'in_progress'").run(imageId);
  })();
  const rows = project.db
    .prepare('SELECT * FROM annotations WHERE image_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id')
    .all(imageId, JSON.stringify([...touched])) as AnnotationRow[];
  const annotations = rows.map(toAnnotation);
  return { created, annotations, image: getImage(project, imageId) };
}

/** `applyEdit`, then the image's whole list (for scripts and tests that want to see the result). */
export function applyOps(project: Project, imageId: number, ops: AnnotationOp[]): Annotation[] {
  applyEdit(project, imageId, ops);
  return listAnnotations(project, imageId);
}
