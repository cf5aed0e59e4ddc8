// Train/val/test splits: a stratified, seeded random assignment the user can preview, undo, edit and freeze.
// Stratified by each group's rarest class, so a rare class lands in every split in proportion; copies of one
// photo (split_groups.ts: Roboflow source name, identical bytes, near-identical thumbnail) are assigned
// together, so an augmentation copy never leaks a held-out image into training. Splits that came with an
// import are kept unless the user asks otherwise.
import type { Split, SplitAssignOptions, SplitOrigin, SplitPlan, SplitRatios, SplitState } from '../api.ts';
import { UserError } from './errors.ts';
import type { Project } from './project.ts';
import { groupImages } from './split_groups.ts';
import { seededRandom } from '../../trainer/common/rng.ts';

export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export function isSplit(value: unknown): value is Split {
  return typeof value === 'string' && (SPLITS as readonly string[]).includes(value);
}

export function splitState(project: Project): SplitState {
  const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const row of project.db.prepare('SELECT split, COUNT(*) AS n FROM images GROUP BY split').all() as { split: Split; n: number }[]) counts[row.split] = row.n;
  const seed = project.meta('split_seed');
  const fromImport = (project.db.prepare("SELECT COUNT(*) AS n FROM images WHERE split_origin = 'import'").get() as { n: number }).n;
  return { frozen: project.meta('split_frozen') === '1', counts, seed: seed === undefined ? null : Number(seed), fromImport, undoable: project.meta('split_undo') !== undefined };
}

function refuseIfFrozen(project: Project): void {
  if (project.meta('split_frozen') === '1') throw new UserError('The splits are frozen; unfreeze them first.');
}

function checkRatios(ratios: SplitRatios, seed: number): number[] {
  const r = [ratios?.train, ratios?.val, ratios?.test];
  if (!r.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new UserError('Split ratios must be non-negative numbers.');
  const sum = r[0] + r[1] + r[2];
  if (sum <= 0) throw new UserError('Split ratios must not all be zero.');
  if (!Number.isInteger(seed)) throw new UserError(`Seed ${seed} is not a whole number.`);
  return r.map((v) => v / sum);
}

const countSplits = (splits: Iterable<Split>): Record<Split, number> => {
  const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const s of splits) counts[s]++;
  return counts;
};

interface Assignment {
  plan: SplitPlan;
  /** image id -> its new split and origin, for the images that change. */
  changes: Map<number, { split: Split; origin: SplitOrigin }>;
}

/**
 * Units are groups of copies (split_groups.ts), assigned whole. A unit holding an image whose split came with
 * an import keeps that split (the majority of its imported members', when they straddle) unless
 * `keepImported` is false; the other units are dealt out, per stratum (the unit's rarest class), to the split
 * furthest below its target share of the stratum so far, the kept units counted first.
 */
async function planAssignment(project: Project, ratios: SplitRatios, seed: number, options: SplitAssignOptions = {}): Promise<Assignment> {
  const target = checkRatios(ratios, seed);
  const keepImported = options.keepImported ?? true;
  const { images, groups } = await groupImages(project);
  const classFreq = new Map<number, number>();
  for (const row of project.db.prepare('SELECT class_id, COUNT(*) AS n FROM annotations GROUP BY class_id').all() as { class_id: number; n: number }[]) classFreq.set(row.class_id, row.n);
  const classesOf = new Map<number, number[]>();
  for (const row of project.db.prepare('SELECT DISTINCT image_id, class_id FROM annotations').all() as { image_id: number; class_id: number }[]) {
    const list = classesOf.get(row.image_id) ?? [];
    list.push(row.class_id);
    classesOf.set(row.image_id, list);
  }
  const rarestClass = (ids: number[]) => {
    const classes = ids.flatMap((id) => classesOf.get(id) ?? []);
    return classes.length === 0 ? 'none' : String(classes.reduce((a, b) => ((classFreq.get(a) ?? 0) <= (classFreq.get(b) ?? 0) ? a : b)));
  };

  const newSplit = new Map<number, { split: Split; origin: SplitOrigin }>();
  const strata = new Map<string, { free: number[][]; have: number[] }>();
  let keptFromImport = 0;
  for (const group of groups) {
    const members = group.members.map((i) => images[i]);
    const ids = members.map((m) => m.id);
    const key = rarestClass(ids);
    const stratum = strata.get(key) ?? { free: [], have: [0, 0, 0] };
    strata.set(key, stratum);
    const imported = keepImported ? members.filter((m) => m.origin === 'import') : [];
    if (imported.length > 0) {
      const votes = countSplits(imported.map((m) => m.split));
      const split = SPLITS.reduce((a, b) => (votes[b] > votes[a] ? b : a), imported[0].split);
      for (const m of members) newSplit.set(m.id, { split, origin: m.origin === 'import' && m.split === split ? 'import' : 'assigned' });
      keptFromImport += members.length;
      stratum.have[SPLITS.indexOf(split)] += members.length;
    } else stratum.free.push(ids);
  }

  const random = seededRandom(seed);
  for (const key of [...strata.keys()].sort()) {
    const { free, have } = strata.get(key)!;
    for (let i = free.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [free[i], free[j]] = [free[j], free[i]];
    }
    let total = have[0] + have[1] + have[2];
    for (const ids of free) {
      total += ids.length;
      let best = 0;
      let bestDeficit = -Infinity;
      for (let s = 0; s < 3; s++) {
        const deficit = target[s] * total - have[s];
        if (target[s] > 0 && deficit > bestDeficit) {
          bestDeficit = deficit;
          best = s;
        }
      }
      have[best] += ids.length;
      for (const id of ids) newSplit.set(id, { split: SPLITS[best], origin: 'assigned' });
    }
  }

  const changes = new Map<number, { split: Split; origin: SplitOrigin }>();
  for (const img of images) {
    const next = newSplit.get(img.id)!;
    if (next.split !== img.split || next.origin !== img.origin) changes.set(img.id, next);
  }
  const oldSplit = new Map(images.map((i) => [i.id, i.split]));
  const straddles = (splitOf: (id: number) => Split) => groups.filter((g) => new Set(g.members.map((i) => splitOf(images[i].id))).size > 1).length;
  const plan: SplitPlan = {
    before: countSplits(images.map((i) => i.split)),
    after: countSplits(images.map((i) => newSplit.get(i.id)!.split)),
    moved: images.filter((i) => newSplit.get(i.id)!.split !== i.split).length,
    units: groups.length,
    groupedImages: groups.filter((g) => g.members.length > 1).reduce((n, g) => n + g.members.length, 0),
    keptFromImport,
    straddlingBefore: straddles((id) => oldSplit.get(id)!),
    straddlingAfter: straddles((id) => newSplit.get(id)!.split),
  };
  return { plan, changes };
}

export async function previewSplits(project: Project, ratios: SplitRatios, seed: number, options?: SplitAssignOptions): Promise<SplitPlan> {
  return (await planAssignment(project, ratios, seed, options)).plan;
}

/** Writes new splits, keeping what they replace for one undo. Call inside a transaction. */
function writeSplits(project: Project, changes: Map<number, { split: Split; origin: SplitOrigin }>): void {
  const current = project.db.prepare('SELECT split, split_origin AS origin FROM images WHERE id = ?');
  const update = project.db.prepare('UPDATE images SET split = ?, split_origin = ? WHERE id = ?');
  const previous: [number, Split, SplitOrigin][] = [];
  for (const [id, next] of changes) {
    const row = current.get(id) as { split: Split; origin: SplitOrigin } | undefined;
    if (!row) throw new UserError(`No image with id ${id}.`);
    previous.push([id, row.split, row.origin]);
    update.run(next.split, next.origin, id);
  }
  project.setMeta('split_undo', JSON.stringify(previous));
}

export async function assignSplits(project: Project, ratios: SplitRatios, seed: number, options?: SplitAssignOptions): Promise<SplitState> {
  refuseIfFrozen(project);
  const { changes } = await planAssignment(project, ratios, seed, options);
  project.db.transaction(() => {
    refuseIfFrozen(project);
    writeSplits(project, changes);
    project.setMeta('split_seed', String(seed));
  })();
  return splitState(project);
}

export function undoSplits(project: Project): SplitState {
  refuseIfFrozen(project);
  const saved = project.meta('split_undo');
  if (saved === undefined) throw new UserError('There is no split change to undo.');
  project.db.transaction(() => {
    const update = project.db.prepare('UPDATE images SET split = ?, split_origin = ? WHERE id = ?');
    // Images deleted since are skipped: their rows are gone.
    for (const [id, split, origin] of JSON.parse(saved) as [number, Split, SplitOrigin][]) update.run(split, origin, id);
    project.db.prepare("DELETE FROM meta WHERE key = 'split_undo'").run();
  })();
  return splitState(project);
}

export function setSplit(project: Project, imageIds: number[], split: Split): SplitState {
  refuseIfFrozen(project);
  if (!isSplit(split)) throw new UserError(`Unknown split ${split}; use train, val or test.`);
  if (!Array.isArray(imageIds) || !imageIds.every((id) => Number.isInteger(id))) throw new UserError('Image ids must be whole numbers.');
  project.db.transaction(() => writeSplits(project, new Map(imageIds.map((id) => [id, { split, origin: 'manual' as const }]))))();
  return splitState(project);
}

export function setFrozen(project: Project, frozen: boolean): SplitState {
  project.db.transaction(() => project.setMeta('split_frozen', frozen ? '1' : '0'))();
  return splitState(project);
}
