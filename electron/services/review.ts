// Review: a trained run's predictions over the project's images, matched against the labels (TP / FP / FN
// at box IoU 0.5), sorted errors first, and one action each to accept a prediction as a label or reject it.
// Predictions come from `fieldwork-train predict` on the run folder and are stored in SQLite, so review
// decisions survive restarts like every other edit.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Annotation, Geometry, ReviewImage, ReviewPrediction, ReviewQuery, ReviewTarget, Split } from '../api.ts';
import type { CocoDataset, CocoResult } from '../../trainer/common/coco.ts';
import { writeJsonAtomic } from '../../trainer/io/atomic.ts';
import { bboxIou } from '../../trainer/common/rle.ts';
import { insertAnnotation, listAnnotations } from './annotations.ts';
import { findClassByName, insertClass } from './classes.ts';
import { NotFoundError, UserError } from './errors.ts';
import type { Project } from './project.ts';
import { TRAINER_BIN, type RunSupervisor } from './runs.ts';

/** IoU at which a prediction counts as finding a labelled object (COCO's AP50 threshold). */
export const MATCH_IOU = 0.5;

export type PredictLauncher = (args: string[]) => ReturnType<typeof spawn>;
export const nodePredictLauncher: PredictLauncher = (args) => spawn(process.execPath, [TRAINER_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

interface PredictionRow {
  id: number;
  run_id: string;
  image_id: number;
  class_id: number | null;
  class_name: string;
  score: number;
  bbox: string;
  rle: string | null;
  status: ReviewPrediction['status'];
  annotation_id: number | null;
}

/** Runs the model of `runId` over the target images and stores its predictions (replacing undecided ones). */
export async function predictForReview(
  project: Project,
  runs: RunSupervisor,
  runId: string,
  target: ReviewTarget,
  launch: PredictLauncher = nodePredictLauncher,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<{ images: number; predictions: number }> {
  const run = runs.get(runId);
  const runDir = runs.runDir(runId);
  if (!existsSync(join(runDir, 'checkpoints', 'best')) && !existsSync(join(runDir, 'checkpoints', 'last'))) {
    throw new UserError(`Run ${runId} has no checkpoint yet; train it first.`);
  }
  const rows = selectImages(project, target);
  if (rows.length === 0) throw new UserError('No images to predict on for that choice.');
  const snapshot = JSON.parse(readFileSync(join(runDir, 'snapshot.json'), 'utf8')) as CocoDataset;
  const stamp = Date.now();
  const input = join(runDir, `review-input-${stamp}.json`);
  const output = join(runDir, `review-predictions-${stamp}.json`);
  const dataset: CocoDataset = {
    images: rows.map((r) => ({ id: r.id, file_name: project.resolveInside(r.stored_path), width: r.width, height: r.height })),
    annotations: [],
    categories: snapshot.categories,
  };
  writeJsonAtomic(input, dataset);

  await new Promise<void>((resolve, reject) => {
    const child = launch(['predict', runDir, '--images', input, '--out', output]);
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const m = line.match(/predicted (\d+)\/(\d+)/g);
      if (m) {
        const [done, total] = m.at(-1)!.replace('predicted ', '').split('/').map(Number);
        onProgress(done, total);
      } else if (line.trim()) stderr.push(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new UserError(`Prediction failed (exit code ${code}): ${stderr.slice(-3).join(' ') || 'no message'}`));
    });
  });

  const results = JSON.parse(readFileSync(output, 'utf8')) as CocoResult[];
  const nameOf = new Map(snapshot.categories.map((c) => [c.id, c.name]));
  const imageIds = new Set(rows.map((r) => r.id));
  project.db.transaction(() => {
    const del = project.db.prepare("DELETE FROM predictions WHERE run_id = ? AND image_id = ? AND status = 'pending'");
    for (const id of imageIds) del.run(run.id, id);
    const insert = project.db.prepare('INSERT INTO predictions (run_id, image_id, class_id, class_name, score, bbox, rle) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const r of results) {
      if (!imageIds.has(r.image_id)) continue;
      const name = nameOf.get(r.category_id) ?? `class ${r.category_id}`;
      insert.run(run.id, r.image_id, findClassByName(project, name) ?? null, name, r.score, JSON.stringify(r.bbox), r.segmentation ? JSON.stringify(r.segmentation) : null);
    }
  })();
  return { images: rows.length, predictions: results.length };
}

function selectImages(project: Project, target: ReviewTarget): { id: number; stored_path: string; width: number; height: number }[] {
  const base = 'SELECT id, stored_path, width, height FROM images';
  if (target.imageIds) {
    return target.imageIds.map((id) => {
      const row = project.db.prepare(`${base} WHERE id = ?`).get(id) as { id: number; stored_path: string; width: number; height: number } | undefined;
      if (!row) throw new NotFoundError(`No image with id ${id}.`);
      return row;
    });
  }
  if (target.unlabelled) {
    return project.db.prepare(`${base} WHERE status = 'unlabelled' AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.image_id = images.id) ORDER BY id`).all() as never;
  }
  if (target.split) return project.db.prepare(`${base} WHERE split = ? ORDER BY id`).all(target.split) as never;
  return project.db.prepare(`${base} ORDER BY id`).all() as never;
}

const toPrediction = (r: PredictionRow): Omit<ReviewPrediction, 'match' | 'iou'> => ({
  id: r.id,
  runId: r.run_id,
  imageId: r.image_id,
  classId: r.class_id,
  className: r.class_name,
  score: r.score,
  bbox: JSON.parse(r.bbox),
  rle: r.rle ? JSON.parse(r.rle) : null,
  status: r.status,
  annotationId: r.annotation_id,
});

/**
 * Matches an image's predictions (score ≥ minScore, best first) to its non-crowd labels of the same class:
 * each label is found by at most one prediction at box IoU ≥ MATCH_IOU. Rejected predictions take no part
 * (they come back apart, under `rejected`). On an image without ground truth — no label of its own and not
 * marked done — nothing can be judged: its pending predictions are 'unverified' suggestions, never FPs.
 */
export function matchImage(project: Project, runId: string, imageId: number, minScore: number): { predictions: ReviewPrediction[]; missed: Annotation[]; rejected: ReviewPrediction[] } {
  const all = project.db.prepare('SELECT * FROM predictions WHERE run_id = ? AND image_id = ? AND score >= ? ORDER BY score DESC, id').all(runId, imageId, minScore) as PredictionRow[];
  const rows = all.filter((r) => r.status !== 'rejected');
  // Labels made by accepting this run's predictions are the predictions themselves, not ground truth for them.
  // (All of them, whatever the threshold: a raised threshold must not turn them into ground truth.)
  const accepted = project.db.prepare('SELECT annotation_id FROM predictions WHERE run_id = ? AND image_id = ? AND annotation_id IS NOT NULL').all(runId, imageId) as { annotation_id: number }[];
  const fromThisRun = new Set(accepted.map((r) => r.annotation_id));
  const own = listAnnotations(project, imageId).filter((a) => !fromThisRun.has(a.id));
  const labels = own.filter((a) => !a.iscrowd);
  const status = (project.db.prepare('SELECT status FROM images WHERE id = ?').get(imageId) as { status: string } | undefined)?.status;
  const unverified = own.length === 0 && status !== 'done';
  const found = new Set<number>();
  const predictions: ReviewPrediction[] = rows.map((row) => {
    const p = toPrediction(row);
    // An accepted prediction was confirmed by the user: a true positive by definition.
    if (p.status === 'accepted') return { ...p, match: 'tp', iou: null };
    if (unverified) return { ...p, match: 'unverified', iou: null };
    let best = -1;
    let bestIou = 0;
    labels.forEach((label, i) => {
      if (found.has(i) || label.classId !== p.classId) return;
      const iou = bboxIou([p.bbox], [label.bbox], [false])[0][0];
      if (iou >= MATCH_IOU && iou > bestIou) {
        best = i;
        bestIou = iou;
      }
    });
    if (best >= 0) found.add(best);
    return { ...p, match: best >= 0 ? 'tp' : 'fp', iou: best >= 0 ? bestIou : null };
  });
  const missed = labels.filter((_, i) => !found.has(i));
  const rejected: ReviewPrediction[] = all.filter((r) => r.status === 'rejected').map((r) => ({ ...toPrediction(r), match: unverified ? 'unverified' : 'fp', iou: null }));
  return { predictions, missed, rejected };
}

/** Images with predictions of `runId`, with their TP / FP / FN counts, sorted as asked (errors first by default). */
export function reviewImages(project: Project, runId: string, query: ReviewQuery = {}): ReviewImage[] {
  const minScore = query.minScore ?? 0.5;
  const where: string[] = ['EXISTS (SELECT 1 FROM predictions p WHERE p.image_id = i.id AND p.run_id = ?)'];
  const params: unknown[] = [runId];
  if (query.split) {
    where.push('i.split = ?');
    params.push(query.split);
  }
  const rows = project.db.prepare(`SELECT i.id, i.file_name, i.split FROM images i WHERE ${where.join(' AND ')} ORDER BY i.id`).all(...params) as { id: number; file_name: string; split: Split }[];
  const out: ReviewImage[] = [];
  const ofClass = <T extends { classId: number | null }>(list: T[]) => (query.classId === undefined ? list : list.filter((p) => p.classId === query.classId));
  for (const row of rows) {
    const { predictions, missed, rejected } = matchImage(project, runId, row.id, minScore);
    const relevant = ofClass(predictions);
    const missedRelevant = ofClass(missed);
    const rejectedRelevant = ofClass(rejected);
    if (query.classId !== undefined && relevant.length === 0 && missedRelevant.length === 0 && rejectedRelevant.length === 0) continue;
    const count = (match: ReviewPrediction['match']) => relevant.filter((p) => p.match === match).length;
    const fp = count('fp');
    const fn = missedRelevant.length;
    out.push({
      imageId: row.id, fileName: row.file_name, split: row.split, tp: count('tp'), fp, fn,
      pending: relevant.filter((p) => p.status === 'pending').length, errors: fp + fn,
      unverified: count('unverified'), accepted: relevant.filter((p) => p.status === 'accepted').length, rejected: rejectedRelevant.length,
    });
  }
  const sort = query.sort ?? 'errors';
  if (sort === 'errors') out.sort((a, b) => b.errors - a.errors || b.fn - a.fn || a.imageId - b.imageId);
  return out;
}

/** Accepts a prediction as a label (optionally with the user's edited geometry): one transaction. */
export function acceptPrediction(project: Project, predictionId: number, edited?: Geometry): Annotation {
  const row = project.db.prepare('SELECT * FROM predictions WHERE id = ?').get(predictionId) as PredictionRow | undefined;
  if (!row) throw new NotFoundError(`No prediction ${predictionId}.`);
  if (row.status === 'accepted') throw new UserError(`Prediction ${predictionId} is already accepted.`);
  const p = toPrediction(row);
  const annotationId = project.db.transaction(() => {
    const classId = p.classId ?? findClassByName(project, p.className) ?? insertClass(project, p.className);
    const geometry: Geometry = edited ?? (p.rle ? { kind: 'mask', rle: p.rle } : { kind: 'box', bbox: p.bbox });
    const id = insertAnnotation(project, p.imageId, { classId, geometry, source: 'prediction', score: p.score }, undefined, `prediction ${predictionId}`);
    project.db.prepare("UPDATE predictions SET status = 'accepted', annotation_id = ?, class_id = ?, decided_at = ? WHERE id = ?").run(id, classId, new Date().toISOString(), predictionId);
    project.db.prepare("UPDATE images SET status = 'in_progress' WHERE id = ? AND status = 'unlabelled'").run(p.imageId);
    return id;
  })();
  return listAnnotations(project, p.imageId).find((a) => a.id === annotationId)!;
}

export function rejectPrediction(project: Project, predictionId: number): void {
  const info = project.db.transaction(() => project.db.prepare("UPDATE predictions SET status = 'rejected', decided_at = ? WHERE id = ? AND status = 'pending'").run(new Date().toISOString(), predictionId))();
  if (info.changes === 0) throw new UserError(`Prediction ${predictionId} is not pending.`);
}

/** Undoes an accept (removing the label it made) or a reject. */
export function resetPrediction(project: Project, predictionId: number): void {
  const row = project.db.prepare('SELECT * FROM predictions WHERE id = ?').get(predictionId) as PredictionRow | undefined;
  if (!row) throw new NotFoundError(`No prediction ${predictionId}.`);
  project.db.transaction(() => {
    if (row.annotation_id !== null) project.db.prepare('DELETE FROM annotations WHERE id = ?').run(row.annotation_id);
    project.db.prepare("UPDATE predictions SET status = 'pending', annotation_id = NULL, decided_at = NULL WHERE id = ?").run(predictionId);
  })();
}

/** Accepted and rejected predictions per class for a run: how much the model's proposals were corrected. */
export function correctionCounts(project: Project, runId: string): { className: string; accepted: number; rejected: number; pending: number }[] {
  return project.db
    .prepare(
      `SELECT class_name AS className,
         SUM(status = 'accepted') AS accepted, SUM(status = 'rejected') AS rejected, SUM(status = 'pending') AS pending
       FROM predictions WHERE run_id = ? GROUP BY class_name ORDER BY class_name`,
    )
    .all(runId) as never;
}
