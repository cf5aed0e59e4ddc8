// Pure helpers for edits: inverse operations for undo, optimistic local application, and the
// translation of provisional (negative) ids into the ids the store assigned.
import type { Annotation, AnnotationDraft, AnnotationOp, Geometry } from '../../../../electron/api.ts';
import { rleArea, rleToBbox } from '../../../../trainer/common/rle.ts';
import { ringsBbox, signedArea } from '../../../../trainer/common/geometry/polygon.ts';

export function draftOf(a: Annotation): AnnotationDraft {
  return { classId: a.classId, geometry: a.geometry, iscrowd: a.iscrowd, source: a.source, score: a.score };
}

/** Operations that revert `ops` when applied to the state `before` (the state `ops` were applied to). */
export function inverseOps(ops: AnnotationOp[], before: readonly Annotation[]): AnnotationOp[] {
  const byId = new Map(before.map((a) => [a.id, a]));
  const inverse: AnnotationOp[] = [];
  for (const op of ops) {
    if (op.op === 'create') {
      if (op.id === undefined) throw new Error('inverseOps: a create needs its provisional id to be undoable');
      inverse.push({ op: 'delete', id: op.id });
    } else if (op.op === 'delete') {
      const old = byId.get(op.id);
      if (!old) throw new Error(`inverseOps: delete of unknown annotation ${op.id}`);
      inverse.push({ op: 'create', id: op.id, draft: draftOf(old) });
    } else {
      const old = byId.get(op.id);
      if (!old) throw new Error(`inverseOps: update of unknown annotation ${op.id}`);
      const previous = draftOf(old);
      const patch: Partial<AnnotationDraft> = {};
      for (const key of Object.keys(op.patch) as (keyof AnnotationDraft)[]) {
        (patch as Record<string, unknown>)[key] = previous[key];
      }
      inverse.push({ op: 'update', id: op.id, patch });
    }
  }
  return inverse.reverse();
}

export function geometryBbox(geometry: Geometry): [number, number, number, number] {
  if (geometry.kind === 'box') return [...geometry.bbox];
  if (geometry.kind === 'polygon') return ringsBbox(geometry.rings);
  return rleToBbox(geometry.rle);
}

export function geometryArea(geometry: Geometry): number {
  if (geometry.kind === 'box') return geometry.bbox[2] * geometry.bbox[3];
  if (geometry.kind === 'polygon') return geometry.rings.reduce((s, r) => s + Math.abs(signedArea(r)), 0);
  return rleArea(geometry.rle);
}

/** The annotation list after `ops`, as the store will return it (bbox/area approximated locally). */
export function applyOpsLocally(list: readonly Annotation[], ops: AnnotationOp[], imageId: number): Annotation[] {
  let out = list.slice();
  const now = new Date().toISOString();
  for (const op of ops) {
    if (op.op === 'create') {
      const d = op.draft;
      out.push({
        id: op.id ?? 0,
        imageId,
        classId: d.classId,
        geometry: d.geometry,
        bbox: geometryBbox(d.geometry),
        area: geometryArea(d.geometry),
        iscrowd: d.iscrowd ?? false,
        source: d.source ?? 'manual',
        score: d.score ?? null,
        updatedAt: now,
      });
    } else if (op.op === 'delete') {
      out = out.filter((a) => a.id !== op.id);
    } else {
      out = out.map((a) => {
        if (a.id !== op.id) return a;
        const next: Annotation = { ...a, ...op.patch, updatedAt: now } as Annotation;
        if (op.patch.geometry) {
          next.bbox = geometryBbox(op.patch.geometry);
          next.area = geometryArea(op.patch.geometry);
        }
        return next;
      });
    }
  }
  return out;
}

/** Replaces provisional ids (< 0) that the store has already answered for with the store's ids. */
export function resolveIds(ops: AnnotationOp[], idMap: ReadonlyMap<number, number>): AnnotationOp[] {
  const real = (id: number) => (id < 0 ? idMap.get(id) ?? id : id);
  return ops.map((op): AnnotationOp => {
    if (op.op === 'create') return op.id === undefined ? op : { ...op, id: real(op.id) };
    return { ...op, id: real(op.id) };
  });
}

/**
 * The operations as the store must receive them: known provisional ids resolved (a redone create comes
 * back under its old id), unknown ones sent without an id and with the provisional id as `ref`, so the
 * store assigns an id and says which (annotations.apply's `created`).
 */
export function opsForStore(ops: AnnotationOp[], idMap: ReadonlyMap<number, number>): AnnotationOp[] {
  return resolveIds(ops, idMap).map((op): AnnotationOp => {
    if (op.op === 'create' && op.id !== undefined && op.id < 0) return { op: 'create', draft: op.draft, ref: op.id };
    return op;
  });
}
