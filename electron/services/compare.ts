// Comparing two runs: AP per class side by side, and what changed in the data between their snapshots.
import { existsSync, readFileSync } from 'node:fs';
import { configDifferences } from './config_diff.ts';
import { join } from 'node:path';
import type { RunComparison } from '../api.ts';
import type { CocoDataset } from '../../trainer/common/coco.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { perCategoryAp } from '../../trainer/advice/overfitting.ts';
import { readRunEvents, type RunSupervisor } from './runs.ts';

type Evaluation = Extract<TrainerEvent, { type: 'evaluation' }>;

function lastVal(events: TrainerEvent[], key: 'bbox' | 'segm'): Evaluation | undefined {
  return [...events].reverse().find((e): e is Evaluation => e.type === 'evaluation' && e.split === 'val' && e[key].length > 0);
}

/** Per-class box AP of a run by class name, from its last val evaluation (the trainer reports no per-class mask AP). */
function perClassAp(snapshot: CocoDataset, events: TrainerEvent[]): Map<string, { box: number | null; mask: number | null }> {
  const out = new Map<string, { box: number | null; mask: number | null }>();
  const last = lastVal(events, 'bbox');
  for (const c of snapshot.categories) out.set(c.name, { box: perCategoryAp(last?.perCategory?.[String(c.id)]), mask: null });
  return out;
}

/** An image's labels as comparable text: class name + geometry, order-independent. */
function labelsOf(snapshot: CocoDataset): Map<number, { fileName: string; split: unknown; labels: string[] }> {
  const names = new Map(snapshot.categories.map((c) => [c.id, c.name]));
  const byImage = new Map<number, { fileName: string; split: unknown; labels: string[] }>();
  const imageKey = new Map<number, number>();
  for (const img of snapshot.images) {
    const key = Number(img.project_image_id ?? img.id);
    imageKey.set(img.id, key);
    byImage.set(key, { fileName: String(img.original_file_name ?? String(img.file_name).split(/[\\/]/).pop()), split: img.split, labels: [] });
  }
  for (const a of snapshot.annotations) {
    byImage.get(imageKey.get(a.image_id)!)?.labels.push(JSON.stringify([names.get(a.category_id), a.iscrowd, a.segmentation, a.bbox]));
  }
  for (const v of byImage.values()) v.labels.sort();
  return byImage;
}

export function compareRuns(runs: RunSupervisor, a: string, b: string): RunComparison {
  const read = (id: string) => {
    const dir = runs.runDir(id);
    return { summary: runs.get(id), snapshot: JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as CocoDataset, events: readRunEvents(dir) };
  };
  const A = read(a);
  const B = read(b);
  const apA = perClassAp(A.snapshot, A.events);
  const apB = perClassAp(B.snapshot, B.events);
  const none = { box: null, mask: null };
  const names = [...new Set([...apA.keys(), ...apB.keys()])];
  const perClass = names.map((name) => ({ name, a: apA.get(name) ?? none, b: apB.get(name) ?? none }));

  const la = labelsOf(A.snapshot);
  const lb = labelsOf(B.snapshot);
  const diff: RunComparison['diff'] = { imagesAdded: 0, imagesRemoved: 0, imagesRelabelled: 0, imagesMoved: 0, annotationsAdded: 0, annotationsRemoved: 0, examples: [] };
  const example = (fileName: string, change: RunComparison['diff']['examples'][number]['change']) => {
    if (diff.examples.length < 50) diff.examples.push({ fileName, change });
  };
  for (const [key, img] of lb) {
    const before = la.get(key);
    if (!before) {
      diff.imagesAdded++;
      diff.annotationsAdded += img.labels.length;
      example(img.fileName, 'added');
      continue;
    }
    const removed = before.labels.filter((l) => !img.labels.includes(l)).length;
    const added = img.labels.filter((l) => !before.labels.includes(l)).length;
    diff.annotationsAdded += added;
    diff.annotationsRemoved += removed;
    if (added + removed > 0) {
      diff.imagesRelabelled++;
      example(img.fileName, 'relabelled');
    }
    if (before.split !== img.split) {
      diff.imagesMoved++;
      example(img.fileName, 'moved');
    }
  }
  for (const [key, img] of la) {
    if (lb.has(key)) continue;
    diff.imagesRemoved++;
    diff.annotationsRemoved += img.labels.length;
    example(img.fileName, 'removed');
  }
  const config = (id: string) => {
    const file = join(runs.runDir(id), 'config.json');
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  };
  return { a: A.summary, b: B.summary, perClass, diff, configDiff: configDifferences(config(a), config(b)) };
}
