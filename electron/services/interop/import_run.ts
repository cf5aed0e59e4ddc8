// `fieldwork import-run`: results of an exported run (Detectron2's coco_instances_results.json or the
// torchvision script's) become a run in the runs list — linked to the frozen snapshot, scored by our own
// evaluator, its val predictions stored for the review screen — and torchvision weights become a
// Fieldwork checkpoint, so the run can also predict (review, pre-labelling). Everything is checked
// before anything is written: results for other images, unknown category ids, weights of another
// architecture or class count are refused with the reason, and the project is left as it was.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ImportRunResult } from '../../api.ts';
import type { CocoDataset, CocoResult } from '../../../trainer/common/coco.ts';
import type { TrainerEvent } from '../../../trainer/protocol.ts';
import { evaluateCoco } from '../../../trainer/eval/coco_eval.ts';
import { writeRunReport } from '../../../trainer/advice/report.ts';
import { findClassByName } from '../classes.ts';
import { listSome, UserError } from '../errors.ts';
import type { Project } from '../project.ts';
import { snapshotHash } from '../runs.ts';
import type { RunManifest } from './export_run.ts';
import { externalCurve } from './curves.ts';
import { readTorchvisionWeights, torchvisionToCheckpoint } from './weights_io.ts';

const RESULT_FILES = ['output/coco_instances_results.json', 'output/inference/coco_instances_results.json', 'coco_instances_results.json', 'inference/coco_instances_results.json'];
const WEIGHT_FILES = ['output/model_final.safetensors', 'output/model_final.pth'];

/** The export folder and results file for `source` (the folder, or a results file inside it). */
function locate(source: string): { exportDir: string; resultsPath: string } {
  const path = resolve(source);
  if (!existsSync(path)) throw new UserError(`${path} does not exist.`);
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, 'fieldwork-run.json'))) throw new UserError(`${path} is not a folder made by fieldwork export-run (no fieldwork-run.json).`);
    const found = RESULT_FILES.map((f) => join(path, f)).find((f) => existsSync(f));
    if (!found) throw new UserError(`No results in ${path}: looked for ${RESULT_FILES.join(', ')}. Train first (see its README.md).`);
    return { exportDir: path, resultsPath: found };
  }
  for (let dir = dirname(path), i = 0; i < 4; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'fieldwork-run.json'))) return { exportDir: dir, resultsPath: path };
  }
  throw new UserError(`${path} is not inside a folder made by fieldwork export-run (no fieldwork-run.json above it).`);
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new UserError(`${what} ${path} cannot be read: ${(err as Error).message}`);
  }
}

/** Checks results against the val split and the run's classes; returns them typed. */
export function checkResults(raw: unknown, val: CocoDataset, manifest: RunManifest, path: string): CocoResult[] {
  if (!Array.isArray(raw)) throw new UserError(`${path} is not a COCO results list (a JSON array of detections).`);
  const valIds = new Set(val.images.map((i) => i.id));
  const catIds = new Set(manifest.categories.map((c) => c.id));
  const otherImages = new Set<number>(), unknownCats = new Set<number>(), malformed: string[] = [];
  raw.forEach((r, i) => {
    const ok = r && typeof r === 'object' && Number.isInteger(r.image_id) && Number.isInteger(r.category_id) && Array.isArray(r.bbox) && r.bbox.length === 4
      && r.bbox.every((v: unknown) => typeof v === 'number' && Number.isFinite(v)) && r.bbox[2] >= 0 && r.bbox[3] >= 0 && typeof r.score === 'number' && Number.isFinite(r.score);
    if (!ok) { malformed.push(`#${i}`); return; }
    if (!valIds.has(r.image_id)) otherImages.add(r.image_id);
    if (!catIds.has(r.category_id)) unknownCats.add(r.category_id);
  });
  if (malformed.length) throw new UserError(`${path}: ${malformed.length} entries are not detections (image_id, category_id, bbox [x, y, w, h], score): ${listSome(malformed)}. Nothing was imported.`);
  if (otherImages.size) throw new UserError(`${path} has results for ${otherImages.size} images that are not in this run's val split (image ids ${listSome([...otherImages].map(String))}). Nothing was imported.`);
  if (unknownCats.size) throw new UserError(`${path} uses category ids this run does not have: ${listSome([...unknownCats].map(String))} (the run's: ${manifest.categories.map((c) => `${c.id} ${c.name}`).join(', ')}). Nothing was imported.`);
  return raw as CocoResult[];
}

/** interopDir: resources/interop of the app (for the .pth reader); the default is this checkout's. */
export async function importRun(project: Project, source: string, interopDir?: string): Promise<ImportRunResult> {
  const { exportDir, resultsPath } = locate(source);
  const manifest = readJson<RunManifest>(join(exportDir, 'fieldwork-run.json'), 'The export manifest');
  if (manifest.format !== 1 || (manifest.engine !== 'detectron2' && manifest.engine !== 'torchvision')) throw new UserError(`${exportDir}/fieldwork-run.json is not an export this version of Fieldwork reads.`);
  const snapshot = readJson<CocoDataset>(join(exportDir, 'snapshot.json'), 'The snapshot');
  if (snapshotHash(snapshot) !== manifest.snapshotHash) throw new UserError(`${exportDir}/snapshot.json was changed after the export (its hash differs from fieldwork-run.json). Nothing was imported.`);
  const known = new Set((project.db.prepare('SELECT id FROM images').all() as { id: number }[]).map((r) => r.id));
  const missing = snapshot.images.filter((i) => !known.has(i.project_image_id as number));
  if (missing.length) throw new UserError(`This export is not of this project: ${missing.length} of its ${snapshot.images.length} images are not in it (e.g. ${missing[0].original_file_name ?? missing[0].file_name}). Nothing was imported.`);
  const val = readJson<CocoDataset>(join(exportDir, 'datasets', 'val.json'), 'The val split');
  if (val.images.length === 0) throw new UserError('The exported run has no val images, so there is nothing to score its results on.');
  const results = checkResults(readJson<unknown>(resultsPath, 'The results file'), val, manifest, resultsPath);

  const id = `${new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '')}-import-${randomBytes(2).toString('hex')}`;
  const runsDir = project.resolveInside('runs');
  mkdirSync(runsDir, { recursive: true });
  const tmp = join(runsDir, `.import-${id}`);
  mkdirSync(tmp, { recursive: true });
  try {
    let checkpoint: string | null = null;
    const summaryFile = join(exportDir, 'output', 'summary.json');
    const trained = existsSync(summaryFile) ? readJson<{ iterations?: number; totalIterations?: number }>(summaryFile, 'The training summary') : {};
    const weights = manifest.engine === 'torchvision' ? WEIGHT_FILES.map((f) => join(exportDir, f)).find((f) => existsSync(f)) : undefined;
    if (weights) {
      const state = readTorchvisionWeights(weights, tmp, interopDir && join(interopDir, 'torchvision', 'fieldwork_model.py'));
      rmSync(join(tmp, `weights-${process.pid}.safetensors`), { force: true });
      await torchvisionToCheckpoint(state, manifest.config, manifest.categories, join(tmp, 'checkpoints', 'best'), trained.iterations ?? 0);
      checkpoint = join(runsDir, id, 'checkpoints', 'best');
    }
    const bbox = evaluateCoco(val, results, 'bbox').stats;
    const withMasks = results.length > 0 && results.every((r) => r.segmentation);
    const segm = withMasks ? evaluateCoco(val, results, 'segm').stats : [];
    const time = new Date().toISOString();
    const perIteration = manifest.detectron2 ? readImsPerBatch(exportDir) : ((trained as { processes?: number }).processes ?? 1) * ((trained as { imsPerProcess?: number }).imsPerProcess ?? manifest.config.solver.imsPerBatch);
    const curve = externalCurve(exportDir, manifest.engine, manifest.splits.train.images, perIteration, time);
    const iteration = trained.iterations ?? curve.iterations;
    // Their own evaluations up to the end; the final one is ours (our evaluator, on the results imported).
    const theirs = curve.events.filter((e) => e.type !== 'evaluation' || e.iteration < iteration);
    const events: TrainerEvent[] = [
      { type: 'started', time, backend: `${manifest.engine} (imported)`, configSummary: `imported from ${manifest.engine}`, totalIterations: trained.totalIterations ?? iteration, trainImages: manifest.splits.train.images, valImages: manifest.splits.val.images, startIteration: 0 },
      ...theirs,
      { type: 'evaluation', time, split: 'val', iteration, images: val.images.length, bbox, segm },
      { type: 'done', time, iteration, bbox, segm, reason: 'completed' },
    ];
    writeFileSync(join(tmp, 'metrics.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(join(tmp, 'snapshot.json'), JSON.stringify(snapshot));
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(manifest.config, null, 2));
    writeFileSync(join(tmp, 'val-results.json'), JSON.stringify(results));
    writeFileSync(join(tmp, 'imported.json'), JSON.stringify({ engine: manifest.engine, from: exportDir, results: resultsPath, weights: weights ?? null, exportedRun: manifest.runId, importedAt: time }, null, 2));

    // The report screen's evidence, from these files alone (one evaluation says little, and the report says so).
    let verdict: string | null = null;
    try {
      verdict = writeRunReport(tmp).verdict.verdict;
    } catch (err) {
      console.error(`[import-run] no report for ${id}:`, err);
    }
    const final = join(runsDir, id);
    renameSync(tmp, final);
    const projectImageOf = new Map(snapshot.images.map((i) => [i.id, i.project_image_id as number]));
    const nameOf = new Map(snapshot.categories.map((c) => [c.id, c.name]));
    try {
      project.db.transaction(() => {
        project.db
          .prepare('INSERT INTO runs (id, created_at, preset, status, backend, train_images, val_images, annotations, snapshot_hash, iteration, total_iterations, best_box_ap, best_mask_ap, finished_at, verdict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(id, time, manifest.config.preset, 'done', `${manifest.engine} (imported)`, manifest.splits.train.images, manifest.splits.val.images, snapshot.annotations.length, manifest.snapshotHash,
            iteration, trained.totalIterations ?? iteration, bbox[0] ?? null, segm[0] ?? null, time, verdict);
        const insert = project.db.prepare('INSERT INTO predictions (run_id, image_id, class_id, class_name, score, bbox, rle) VALUES (?, ?, ?, ?, ?, ?, ?)');
        for (const r of results) {
          const name = nameOf.get(r.category_id)!;
          insert.run(id, projectImageOf.get(r.image_id)!, findClassByName(project, name) ?? null, name, r.score, JSON.stringify(r.bbox), r.segmentation ? JSON.stringify(r.segmentation) : null);
        }
      })();
    } catch (err) {
      rmSync(final, { recursive: true, force: true });
      throw err;
    }
    return { runId: id, engine: manifest.engine, resultsPath, results: results.length, valImages: val.images.length, bbox, segm, checkpoint };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** SOLVER.IMS_PER_BATCH from the exported config.yaml (16 when it cannot be read). */
function readImsPerBatch(exportDir: string): number {
  try {
    const m = readFileSync(join(exportDir, 'config.yaml'), 'utf8').match(/^ {2}IMS_PER_BATCH: (\d+)$/m);
    return m ? Number(m[1]) : 16;
  } catch {
    return 16;
  }
}
