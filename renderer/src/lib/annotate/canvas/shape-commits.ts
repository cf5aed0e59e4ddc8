// What a finished drawing gesture does to the model: a drawn box, a closed polygon draft, or a brush or
// eraser stroke becomes one edit of the open ImageSession — or a notice saying why nothing was kept.
import { isSelfIntersecting } from '../../../../../trainer/common/geometry/polygon.ts';
import type { ImageSession } from '../session.svelte.ts';
import { brushStroke, eraserStroke } from './brush.ts';
import { draftRing } from './polygon-draft.ts';

export interface CommitHost {
  /** The class a new shape gets (the active one, or a first class made on demand); null: none, keep nothing. */
  classForNewShape(): Promise<number | null>;
  notice(text: string, kind?: 'info' | 'warning' | 'error'): void;
}

/** A box dragged from (x0, y0) to (x1, y1) in image px, clipped to the image and rounded to 0.01 px. */
export async function commitBox(host: CommitHost, session: ImageSession, x0: number, y0: number, x1: number, y1: number): Promise<void> {
  const W = session.image.width, H = session.image.height;
  const ax = Math.max(0, Math.min(W, Math.min(x0, x1))), bx = Math.max(0, Math.min(W, Math.max(x0, x1)));
  const ay = Math.max(0, Math.min(H, Math.min(y0, y1))), by = Math.max(0, Math.min(H, Math.max(y0, y1)));
  const round = (v: number) => Math.round(v * 100) / 100;
  const bbox: [number, number, number, number] = [round(ax), round(ay), round(bx - ax), round(by - ay)];
  if (bbox[2] < 1 || bbox[3] < 1) {
    host.notice('That box has no area (under 1 pixel wide or high) and was not kept.', 'warning');
    return;
  }
  const classId = await host.classForNewShape();
  if (classId === null) return;
  session.create({ classId, geometry: { kind: 'box', bbox } }, 'Draw box');
}

/**
 * Closes a polygon draft's points (image px) into a new shape. Returns false when the draft cannot close
 * yet (the notice says why, and the draft stays open), true once it is taken.
 */
export function commitPolygon(host: CommitHost, session: ImageSession, points: readonly number[]): false | Promise<void> {
  const { ring, problem } = draftRing(points, session.image.width, session.image.height);
  if (problem) {
    host.notice(`${problem} Keep clicking to add points, or Esc to cancel.`, 'warning');
    return false;
  }
  if (isSelfIntersecting(ring)) host.notice('This polygon crosses itself; COCO tools may misread it. Fix it in edit mode (V).', 'warning');
  return (async () => {
    const classId = await host.classForNewShape();
    if (classId === null) return;
    session.create({ classId, geometry: { kind: 'polygon', rings: [ring] } }, 'Draw polygon');
  })();
}

/** A brush stroke paints into the selected mask (or a new one); an eraser stroke cuts every shape it covers. */
export async function commitStroke(host: CommitHost, session: ImageSession, points: number[], radius: number, erase: boolean): Promise<void> {
  if (!erase) {
    const painted = brushStroke(session.image, session.selected, points, radius);
    if (!painted) return;
    if (painted.target) return session.setGeometry(painted.target.id, painted.geometry, 'Brush');
    const classId = await host.classForNewShape();
    if (classId === null) return;
    session.create({ classId, geometry: painted.geometry }, 'Brush');
    return;
  }
  const { ops, notice } = eraserStroke(session.image, session.annotations, session.selected, points, radius);
  if (notice) host.notice(notice);
  if (ops.length > 0) session.edit('Erase', ops);
}
