// Deleting images: their labels and review predictions go with them (foreign keys cascade); runs keep their
// frozen snapshots, so the stored bytes stay while any run folder may point at them.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDeleteSummary } from '../api.ts';
import { UserError } from './errors.ts';
import type { Project } from './project.ts';

function checkIds(imageIds: unknown): number[] {
  if (!Array.isArray(imageIds) || imageIds.length === 0 || !imageIds.every((id) => Number.isInteger(id))) throw new UserError('Give the ids of the images to delete.');
  return [...new Set(imageIds as number[])];
}

/** What deleting these images would remove, for the confirm. */
export function deleteSummary(project: Project, imageIds: number[]): ImageDeleteSummary {
  const ids = checkIds(imageIds);
  const marks = ids.map(() => '?').join(',');
  const count = (sql: string) => (project.db.prepare(sql).get(...ids) as { n: number }).n;
  const images = count(`SELECT COUNT(*) AS n FROM images WHERE id IN (${marks})`);
  if (images !== ids.length) throw new UserError(`${ids.length - images} of these images no longer exist.`);
  return {
    images,
    annotations: count(`SELECT COUNT(*) AS n FROM annotations WHERE image_id IN (${marks})`),
    predictions: count(`SELECT COUNT(*) AS n FROM predictions WHERE image_id IN (${marks})`),
    runsKeepSnapshots: (project.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n,
  };
}

export function deleteImages(project: Project, imageIds: number[]): ImageDeleteSummary {
  if (project.meta('split_frozen') === '1') throw new UserError('The splits are frozen; unfreeze them before deleting images.');
  const summary = deleteSummary(project, imageIds);
  const ids = checkIds(imageIds);
  const files: { stored_path: string; thumb_path: string; hash: string }[] = [];
  project.db.transaction(() => {
    const get = project.db.prepare('SELECT stored_path, thumb_path, hash FROM images WHERE id = ?');
    const del = project.db.prepare('DELETE FROM images WHERE id = ?');
    for (const id of ids) {
      files.push(get.get(id) as (typeof files)[number]);
      del.run(id);
    }
  })();
  // Bytes no image points at any more, and that no run snapshot can need, are removed from the store.
  if (summary.runsKeepSnapshots === 0) {
    const stillUsed = project.db.prepare('SELECT 1 FROM images WHERE hash = ? LIMIT 1');
    for (const f of files) {
      if (stillUsed.get(f.hash)) continue;
      for (const rel of [f.stored_path, f.thumb_path]) {
        const abs = join(project.dir, rel);
        if (existsSync(abs)) rmSync(abs, { force: true });
      }
    }
  }
  return summary;
}
