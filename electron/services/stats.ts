// Dataset statistics: what the stats panel and `fieldwork stats` show.
import type { DatasetStats, Split } from '../api.ts';
import type { Project } from './project.ts';

export function datasetStats(project: Project): DatasetStats {
  const db = project.db;
  const images = (db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  const labelled = (db.prepare('SELECT COUNT(DISTINCT image_id) AS n FROM annotations').get() as { n: number }).n;
  const annotations = (db.prepare('SELECT COUNT(*) AS n FROM annotations').get() as { n: number }).n;
  const perSplit: DatasetStats['perSplit'] = { train: { images: 0, annotations: 0 }, val: { images: 0, annotations: 0 }, test: { images: 0, annotations: 0 } };
  for (const row of db.prepare('SELECT split, COUNT(*) AS n FROM images GROUP BY split').all() as { split: Split; n: number }[]) perSplit[row.split].images = row.n;
  for (const row of db.prepare('SELECT i.split, COUNT(*) AS n FROM annotations a JOIN images i ON i.id = a.image_id GROUP BY i.split').all() as { split: Split; n: number }[]) perSplit[row.split].annotations = row.n;

  const classes = (db.prepare('SELECT id, name FROM classes ORDER BY ord, id').all() as { id: number; name: string }[]).map((c) => ({
    classId: c.id,
    name: c.name,
    instances: 0,
    images: 0,
    perSplit: { train: 0, val: 0, test: 0 } as Record<Split, number>,
  }));
  const byId = new Map(classes.map((c) => [c.classId, c]));
  for (const row of db.prepare('SELECT a.class_id, i.split, COUNT(*) AS n FROM annotations a JOIN images i ON i.id = a.image_id GROUP BY a.class_id, i.split').all() as { class_id: number; split: Split; n: number }[]) {
    const c = byId.get(row.class_id);
    if (!c) continue;
    c.instances += row.n;
    c.perSplit[row.split] = row.n;
  }
  for (const row of db.prepare('SELECT class_id, COUNT(DISTINCT image_id) AS n FROM annotations GROUP BY class_id').all() as { class_id: number; n: number }[]) {
    const c = byId.get(row.class_id);
    if (c) c.images = row.n;
  }
  return {
    images,
    labelledImages: labelled,
    unlabelledImages: images - labelled,
    annotations,
    objectsPerImage: labelled === 0 ? 0 : annotations / labelled,
    perSplit,
    classes,
  };
}
