// Groups of images that must share a split, because they are copies of one source photo:
// - Roboflow's augmented copies, named `<source>_<ext>.rf.<hash>.<ext>` (same `<source>`);
// - identical bytes (the same content hash);
// - near-duplicates: thumbnails whose dHash differs in at most NEAR_DUPLICATE_BITS of 64 bits.
// A random split that spreads one photo's copies over train and val inflates val AP, the number the
// overfitting verdict reads.
import { join } from 'node:path';
import type { Split, SplitGroup } from '../api.ts';
import { dHash, hammingDistance } from './perceptual-hash.ts';
import type { Project } from './project.ts';
import { UserError } from './errors.ts';

/**
 * On the 299-image wagon-defects export (`npx tsx bench/split-hash.ts`): the 220 pairs of Roboflow copies of
 * one photo differ in 0–3 bits (178 / 31 / 10 / 1 pairs at 0 / 1 / 2 / 3); of the 44 331 pairs of different
 * photos, 3 differ in at most 4 bits (two photos taken 2 s apart, 10:35:36 and 10:35:38) and the next are at 5.
 * So 4 keeps every copy together and merges only that burst pair.
 */
export const NEAR_DUPLICATE_BITS = 4;

const ROBOFLOW_COPY = /^(.+)\.rf\.[0-9a-f]{8,}\.[a-z0-9]+$/i;

/** The source-photo name of a Roboflow augmented copy, or null for other names. */
export function roboflowSource(fileName: string): string | null {
  const m = ROBOFLOW_COPY.exec(fileName);
  return m ? m[1] : null;
}

export interface GroupedImage {
  id: number;
  fileName: string;
  hash: string;
  split: Split;
  origin: string;
}

export interface ImageGroups {
  images: GroupedImage[];
  /** Each group: member indices into `images`, with why they are tied. */
  groups: { members: number[]; reasons: Set<SplitGroup['reasons'][number]> }[];
}

/** Fills the cached dHash of every image that lacks one (from its thumbnail). */
async function ensureHashes(project: Project): Promise<Map<number, string>> {
  const rows = project.db.prepare('SELECT id, thumb_path, dhash FROM images').all() as { id: number; thumb_path: string; dhash: string | null }[];
  const hashes = new Map<number, string>();
  const missing: { id: number; hash: string }[] = [];
  for (const row of rows) {
    if (row.dhash) hashes.set(row.id, row.dhash);
    else {
      try {
        const hash = await dHash(join(project.dir, row.thumb_path));
        if (!project.db.open) break;
        hashes.set(row.id, hash);
        missing.push({ id: row.id, hash });
      } catch {
        // A thumbnail that cannot be read only loses near-duplicate grouping; names and bytes still group.
      }
    }
  }
  // Hashing awaits each thumbnail; the project may be closed meanwhile (the app quitting, another project
  // opened). Stop with a plain message rather than write to a closed database.
  if (!project.db.open) throw new UserError('The project was closed while its images were being compared; open it again to check it.');
  if (missing.length > 0) {
    const update = project.db.prepare('UPDATE images SET dhash = ? WHERE id = ?');
    project.db.transaction(() => missing.forEach((m) => update.run(m.hash, m.id)))();
  }
  return hashes;
}

export async function groupImages(project: Project): Promise<ImageGroups> {
  const images = project.db.prepare('SELECT id, file_name AS fileName, hash, split, split_origin AS origin FROM images ORDER BY id').all() as GroupedImage[];
  const dhashes = await ensureHashes(project);
  const parent = images.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const links: [number, number, SplitGroup['reasons'][number]][] = [];
  const byKey = (key: (img: GroupedImage) => string | null, reason: SplitGroup['reasons'][number]) => {
    const first = new Map<string, number>();
    images.forEach((img, i) => {
      const k = key(img);
      if (k === null) return;
      const j = first.get(k);
      if (j === undefined) first.set(k, i);
      else links.push([j, i, reason]);
    });
  };
  byKey((img) => img.hash, 'identical-bytes');
  byKey((img) => roboflowSource(img.fileName), 'source-name');
  const withHash = images.map((img, i) => ({ i, h: dhashes.get(img.id) })).filter((x): x is { i: number; h: string } => x.h !== undefined);
  for (let a = 0; a < withHash.length; a++) {
    for (let b = a + 1; b < withHash.length; b++) {
      if (hammingDistance(withHash[a].h, withHash[b].h) <= NEAR_DUPLICATE_BITS) links.push([withHash[a].i, withHash[b].i, 'near-duplicate']);
    }
  }
  for (const [a, b] of links) parent[find(a)] = find(b);
  const byRoot = new Map<number, { members: number[]; reasons: Set<SplitGroup['reasons'][number]> }>();
  images.forEach((_, i) => {
    const root = find(i);
    const g = byRoot.get(root) ?? { members: [], reasons: new Set() };
    g.members.push(i);
    byRoot.set(root, g);
  });
  for (const [a, , reason] of links) byRoot.get(find(a))!.reasons.add(reason);
  return { images, groups: [...byRoot.values()] };
}

export function describeGroup(images: GroupedImage[], group: ImageGroups['groups'][number]): SplitGroup {
  return {
    fileNames: group.members.map((i) => images[i].fileName),
    splits: [...new Set(group.members.map((i) => images[i].split))],
    reasons: [...group.reasons].sort(),
  };
}

/** Groups of copies that sit in more than one split. */
export async function straddlingGroups(project: Project): Promise<SplitGroup[]> {
  const { images, groups } = await groupImages(project);
  return groups.filter((g) => new Set(g.members.map((i) => images[i].split)).size > 1).map((g) => describeGroup(images, g));
}

/** The dataset check's warning when copies of one photo sit in more than one split; null when none do. */
export async function splitLeakNote(project: Project): Promise<string | null> {
  const groups = await straddlingGroups(project);
  if (groups.length === 0) return null;
  const images = groups.reduce((n, g) => n + g.fileNames.length, 0);
  const example = groups[0].fileNames.slice(0, 2).join(', ');
  return `${groups.length} ${groups.length === 1 ? 'group' : 'groups'} of copies of one photo (${images} images, e.g. ${example}) ${groups.length === 1 ? 'straddles' : 'straddle'} splits: held-out images leak into training and inflate val AP. Assign the splits again (copies stay together) or move them by hand.`;
}
