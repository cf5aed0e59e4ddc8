// Label classes: names are unique, shown as text everywhere, and ordered (keys 1–9 pick by order).
import type { LabelClass } from '../api.ts';
import { NotFoundError, UserError } from './errors.ts';
import type { Project } from './project.ts';

/** A palette with distinguishable hues; new classes take the next unused colour. */
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe', '#008080', '#e6beff', '#9a6324', '#800000', '#aaffc3', '#808000', '#000075'];

export function validateClassName(raw: unknown, what = 'class name'): string {
  if (typeof raw !== 'string') throw new UserError(`${what} must be text.`);
  const name = raw.trim();
  if (name.length === 0) throw new UserError(`${what} is empty.`);
  if (name.length > 100) throw new UserError(`${what} "${name.slice(0, 40)}…" is longer than 100 characters.`);
  // Names are text: `size<5mm` and `<b>` are legitimate; every view shows them escaped (Svelte text nodes).
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new UserError(`${what} "${name}" contains control characters.`);
  return name;
}

function validateColor(color: unknown): string {
  if (typeof color !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(color)) throw new UserError(`Colour ${String(color)} is not of the form #rrggbb.`);
  return color.toLowerCase();
}

interface ClassRow {
  id: number;
  name: string;
  color: string;
  ord: number;
  instance_count: number;
  image_count: number;
}

const CLASS_SELECT = `SELECT c.id, c.name, c.color, c.ord,
  (SELECT COUNT(*) FROM annotations a WHERE a.class_id = c.id) AS instance_count,
  (SELECT COUNT(DISTINCT a.image_id) FROM annotations a WHERE a.class_id = c.id) AS image_count
  FROM classes c`;

const toClass = (r: ClassRow): LabelClass => ({ id: r.id, name: r.name, color: r.color, order: r.ord, instanceCount: r.instance_count, imageCount: r.image_count });

export function listClasses(project: Project): LabelClass[] {
  return (project.db.prepare(`${CLASS_SELECT} ORDER BY c.ord, c.id`).all() as ClassRow[]).map(toClass);
}

export function getClass(project: Project, id: number): LabelClass {
  const row = project.db.prepare(`${CLASS_SELECT} WHERE c.id = ?`).get(id) as ClassRow | undefined;
  if (!row) throw new NotFoundError(`No class with id ${id}.`);
  return toClass(row);
}

export function findClassByName(project: Project, name: string): number | undefined {
  return (project.db.prepare('SELECT id FROM classes WHERE name = ?').get(name) as { id: number } | undefined)?.id;
}

/** The key under which names are the same class: surrounding spaces and letter case do not count. */
export const classKey = (name: string) => name.trim().toLowerCase();

/** A class whose name equals `name` up to case and surrounding spaces (imports merge those, with a warning). */
export function findClassLoosely(project: Project, name: string): { id: number; name: string } | undefined {
  const rows = project.db.prepare('SELECT id, name FROM classes ORDER BY ord, id').all() as { id: number; name: string }[];
  return rows.find((r) => r.name === name) ?? rows.find((r) => classKey(r.name) === classKey(name));
}

/** Inserts a class without its own transaction (callers batch it with other writes). */
export function insertClass(project: Project, rawName: string, color?: string): number {
  const name = validateClassName(rawName);
  const same = findClassLoosely(project, name);
  if (same) throw new UserError(same.name === name ? `A class named "${name}" already exists.` : `A class named "${same.name}" already exists (names differing only in case or spaces are the same class).`);
  const { n, maxOrd } = project.db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(ord), -1) AS maxOrd FROM classes').get() as { n: number; maxOrd: number };
  const used = new Set((project.db.prepare('SELECT color FROM classes').all() as { color: string }[]).map((r) => r.color));
  const chosen = color ? validateColor(color) : PALETTE.find((c) => !used.has(c)) ?? PALETTE[n % PALETTE.length];
  const info = project.db.prepare('INSERT INTO classes (name, color, ord) VALUES (?, ?, ?)').run(name, chosen, maxOrd + 1);
  return Number(info.lastInsertRowid);
}

export function createClass(project: Project, name: string, color?: string): LabelClass {
  const id = project.db.transaction(() => insertClass(project, name, color))();
  return getClass(project, id);
}

export function updateClass(project: Project, id: number, patch: { name?: string; color?: string; order?: number }): LabelClass {
  getClass(project, id);
  project.db.transaction(() => {
    if (patch.name !== undefined) {
      const name = validateClassName(patch.name);
      const other = findClassByName(project, name);
      if (other !== undefined && other !== id) throw new UserError(`A class named "${name}" already exists; merge the classes instead.`);
      project.db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(name, id);
    }
    if (patch.color !== undefined) project.db.prepare('UPDATE classes SET color = ? WHERE id = ?').run(validateColor(patch.color), id);
    if (patch.order !== undefined) {
      if (!Number.isInteger(patch.order)) throw new UserError(`Class order ${patch.order} is not a whole number.`);
      project.db.prepare('UPDATE classes SET ord = ? WHERE id = ?').run(patch.order, id);
    }
  })();
  return getClass(project, id);
}

export function mergeClasses(project: Project, fromId: number, intoId: number): LabelClass {
  if (fromId === intoId) throw new UserError('Cannot merge a class into itself.');
  getClass(project, fromId);
  getClass(project, intoId);
  project.db.transaction(() => {
    project.db.prepare('UPDATE annotations SET class_id = ?, updated_at = ? WHERE class_id = ?').run(intoId, new Date().toISOString(), fromId);
    project.db.prepare('DELETE FROM classes WHERE id = ?').run(fromId);
  })();
  return getClass(project, intoId);
}

export function deleteClass(project: Project, id: number, reassignTo: number | null): void {
  getClass(project, id);
  if (reassignTo !== null) {
    if (reassignTo === id) throw new UserError('Cannot reassign a class to itself.');
    getClass(project, reassignTo);
  }
  project.db.transaction(() => {
    if (reassignTo === null) project.db.prepare('DELETE FROM annotations WHERE class_id = ?').run(id);
    else project.db.prepare('UPDATE annotations SET class_id = ?, updated_at = ? WHERE class_id = ?').run(reassignTo, new Date().toISOString(), id);
    project.db.prepare('DELETE FROM classes WHERE id = ?').run(id);
  })();
}
