// Train/val/test splits: a stratified, seeded random assignment the user can edit and freeze.
// Stratified by each image's rarest class, so a rare class lands in every split in proportion;
// images with identical bytes are assigned together, so an augmentation copy never leaks a
// held-out image into training.
import type { Split, SplitRatios, SplitState } from '../api.ts';
import { UserError } from './errors.ts';
import type { Project } from './project.ts';

export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export function isSplit(value: unknown): value is Split {
  return typeof value === 'string' && (SPLITS as readonly string[]).includes(value);
}

export function splitState(project: Project): SplitState {
  const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const row of project.db.prepare('SELECT split, COUNT(*) AS n FROM images GROUP BY split').all() as { split: Split; n: number }[]) counts[row.split] = row.n;
  const seed = project.meta('split_seed');
  return { frozen: project.meta('split_frozen') === '1', counts, seed: seed === undefined ? null : Number(seed) };
}

function refuseIfFrozen(project: Project): void {
  if (project.meta('split_frozen') === '1') throw new UserError('The splits are frozen; unfreeze them first.');
}

/** Deterministic 32-bit PRNG (mulberry32); the same seed gives the same assignment on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function assignSplits(project: Project, ratios: SplitRatios, seed: number): SplitState {
  refuseIfFrozen(project);
  const r = [ratios?.train, ratios?.val, ratios?.test];
  if (!r.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new UserError('Split ratios must be non-negative numbers.');
  const sum = r[0] + r[1] + r[2];
  if (sum <= 0) throw new UserError('Split ratios must not all be zero.');
  if (!Number.isInteger(seed)) throw new UserError(`Seed ${seed} is not a whole number.`);
  const target = r.map((v) => v / sum);

  // Units: groups of images with identical bytes. Each unit's stratum is the rarest class among its labels.
  const images = project.db.prepare('SELECT id, hash FROM images ORDER BY id').all() as { id: number; hash: string }[];
  const classFreq = new Map<number, number>();
  for (const row of project.db.prepare('SELECT class_id, COUNT(*) AS n FROM annotations GROUP BY class_id').all() as { class_id: number; n: number }[]) classFreq.set(row.class_id, row.n);
  const classesOf = new Map<number, number[]>();
  for (const row of project.db.prepare('SELECT DISTINCT image_id, class_id FROM annotations').all() as { image_id: number; class_id: number }[]) {
    const list = classesOf.get(row.image_id) ?? [];
    list.push(row.class_id);
    classesOf.set(row.image_id, list);
  }
  const units = new Map<string, number[]>();
  for (const img of images) units.set(img.hash, [...(units.get(img.hash) ?? []), img.id]);
  const strata = new Map<string, number[][]>();
  for (const ids of units.values()) {
    const classes = ids.flatMap((id) => classesOf.get(id) ?? []);
    const rarest = classes.length === 0 ? 'none' : String(classes.reduce((a, b) => ((classFreq.get(a) ?? 0) <= (classFreq.get(b) ?? 0) ? a : b)));
    strata.set(rarest, [...(strata.get(rarest) ?? []), ids]);
  }

  const random = seededRandom(seed);
  const assignment = new Map<number, Split>();
  for (const key of [...strata.keys()].sort()) {
    const stratum = strata.get(key)!;
    for (let i = stratum.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [stratum[i], stratum[j]] = [stratum[j], stratum[i]];
    }
    // Give each unit to the split furthest below its target share of this stratum so far.
    const have = [0, 0, 0];
    let total = 0;
    for (const ids of stratum) {
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
      for (const id of ids) assignment.set(id, SPLITS[best]);
    }
  }
  project.db.transaction(() => {
    const update = project.db.prepare('UPDATE images SET split = ? WHERE id = ?');
    for (const [id, split] of assignment) update.run(split, id);
    project.setMeta('split_seed', String(seed));
  })();
  return splitState(project);
}

export function setSplit(project: Project, imageIds: number[], split: Split): SplitState {
  refuseIfFrozen(project);
  if (!isSplit(split)) throw new UserError(`Unknown split ${split}; use train, val or test.`);
  project.db.transaction(() => {
    const update = project.db.prepare('UPDATE images SET split = ? WHERE id = ?');
    for (const id of imageIds) {
      if (update.run(split, id).changes === 0) throw new UserError(`No image with id ${id}.`);
    }
  })();
  return splitState(project);
}

export function setFrozen(project: Project, frozen: boolean): SplitState {
  project.db.transaction(() => project.setMeta('split_frozen', frozen ? '1' : '0'))();
  return splitState(project);
}
