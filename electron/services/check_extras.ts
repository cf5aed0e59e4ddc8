// What the dataset check adds from the project itself, beyond the training snapshot it reads: every image
// (the snapshot holds only labelled ones, so "299 (299)" hid 5 unlabelled photos), and a split-leak warning.
import type { DatasetCheck } from '../../trainer/advice/dataset_check.ts';
import type { Project } from './project.ts';
import { splitLeakNote } from './split_groups.ts';

export async function withProjectFacts(project: Project, check: DatasetCheck): Promise<DatasetCheck> {
  const images = (project.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  const leak = await splitLeakNote(project);
  return { ...check, images: Math.max(images, check.images), notes: leak ? [leak, ...check.notes] : check.notes };
}
