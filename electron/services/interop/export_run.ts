// `fieldwork export-run`: a run's frozen snapshot and recipe as a self-contained folder for an existing
// distributed trainer — Detectron2 (the paper's codebase) or PyTorch DDP with torchvision (torchrun,
// the identical architecture of the Fieldwork preset, so its weights come back). Layout:
//   fieldwork-run.json        what was exported: engine, run id, snapshot hash, run config, model classes
//   snapshot.json             the frozen snapshot as the run has it (import-run links results to it)
//   datasets/{train,val,test}.json   COCO per split (true areas, polygons / RLE as stored)
//   images/                   copies or links (--images copy|link), absent for --images absolute
//   train.py, README.md       and config.yaml (detectron2) or fieldwork_model.py (torchvision)
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CocoDataset, CocoImage } from '../../../trainer/common/coco.ts';
import { classMapFor } from '../../../trainer/data/snapshot.ts';
import type { PresetName, RunConfig } from '../../../trainer/common/config.ts';
import { UserError } from '../errors.ts';
import type { Project } from '../project.ts';
import { buildSnapshot, runConfigFor, snapshotHash } from '../runs.ts';
import { DETECTRON2_PRESETS, detectron2Config, toYaml, type Detectron2Norm, type Detectron2Preset } from './detectron2_config.ts';
import { detectron2Readme, torchvisionReadme } from './readmes.ts';

import type { Engine, ImagesMode, RunManifest } from './manifest.ts';

export type { Engine, ImagesMode, RunManifest };
const SPLITS = ['train', 'val', 'test'] as const;

export const INTEROP_RESOURCES = fileURLToPath(new URL('../../../resources/interop/', import.meta.url));

export interface ExportRunOptions {
  engine: Engine;
  /** detectron2: r50-gn | r101-gn | x152-32x8d-gn-cascade; torchvision: a Fieldwork preset when no run is given. */
  preset?: string;
  runId?: string;
  images?: ImagesMode;
  norm?: Detectron2Norm;
  /** Run-config values over the preset's, when no run is given (as `train` takes them). */
  overrides?: Record<string, unknown>;
  /** resources/interop (the app passes its resourcesDir's; the default is this checkout's). */
  interopDir?: string;
  /** detectron2 IMS_PER_BATCH (all GPUs together). */
  imsPerBatch?: number;
}

export interface ExportRunSummary {
  outDir: string;
  engine: Engine;
  splits: RunManifest['splits'];
  categories: number;
  files: string[];
}

export function exportRun(project: Project, outDir: string, o: ExportRunOptions): ExportRunSummary {
  if (o.engine !== 'detectron2' && o.engine !== 'torchvision') throw new UserError(`--engine must be detectron2 or torchvision, not "${o.engine}".`);
  const imagesMode = o.images ?? 'copy';
  if (!['copy', 'link', 'absolute'].includes(imagesMode)) throw new UserError(`--images must be copy, link or absolute, not "${imagesMode}".`);
  const norm = o.norm ?? 'GN';
  if (norm !== 'GN' && norm !== 'SyncBN') throw new UserError(`--norm must be GN or SyncBN, not "${norm}".`);
  if (o.engine === 'torchvision' && norm !== 'GN') throw new UserError('--norm SyncBN is for detectron2; the torchvision export is Fieldwork\'s GN architecture.');
  const d2Preset = (o.engine === 'detectron2' ? o.preset ?? 'r50-gn' : undefined) as Detectron2Preset | undefined;
  if (d2Preset && !DETECTRON2_PRESETS.includes(d2Preset)) throw new UserError(`--preset for detectron2 must be one of ${DETECTRON2_PRESETS.join(', ')}, not "${d2Preset}".`);
  const out = resolve(outDir);
  if (existsSync(out) && readdirSync(out).length > 0) throw new UserError(`${out} exists and is not empty; choose a new folder (nothing was written).`);

  const { snapshot, config, runId } = frozenRun(project, o);
  const classes = classMapFor(snapshot).categories;
  if (classes.length === 0) throw new UserError('The snapshot has no classes to train.');
  const classIds = new Set(classes.map((c) => c.id));
  const splitImages = (s: string) => snapshot.images.filter((i) => i.split === s);
  if (splitImages('train').length === 0) throw new UserError('The snapshot has no train images; assign a train split first.');

  const resources = o.interopDir ?? INTEROP_RESOURCES;
  // Build everything in a sibling temp folder, then rename: a failure leaves no half export.
  const tmp = `${out}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'datasets'), { recursive: true });
  try {
    const fileName = placeImages(snapshot.images, tmp, imagesMode);
    const splits = {} as RunManifest['splits'];
    for (const s of SPLITS) {
      const images = splitImages(s);
      const ids = new Set(images.map((i) => i.id));
      // Only the model's classes: Detectron2 sizes its heads from the categories a dataset lists.
      const annotations = snapshot.annotations.filter((a) => ids.has(a.image_id) && classIds.has(a.category_id));
      const ds: CocoDataset = { images: images.map((i) => ({ ...i, file_name: fileName.get(i.id)! })), annotations, categories: classes };
      writeFileSync(join(tmp, 'datasets', `${s}.json`), JSON.stringify(ds));
      splits[s] = { images: images.length, annotations: annotations.length };
    }
    writeFileSync(join(tmp, 'snapshot.json'), JSON.stringify(snapshot));
    const manifest: RunManifest = {
      format: 1, engine: o.engine, exportedAt: new Date().toISOString(), runId, snapshotHash: snapshotHash(snapshot),
      config, categories: classes, images: imagesMode, splits,
    };
    if (o.engine === 'detectron2') {
      const d2 = { preset: d2Preset!, norm, trainDataset: 'fieldwork_train', testDataset: splits.val.images > 0 ? 'fieldwork_val' : 'fieldwork_train' };
      manifest.detectron2 = d2;
      const flat = detectron2Config(config, { ...d2, numClasses: classes.length, trainImages: splits.train.images, imsPerBatch: o.imsPerBatch });
      writeFileSync(join(tmp, 'config.yaml'), toYaml(flat, [
        `Fieldwork run ${runId ?? '(new snapshot)'} as Detectron2 ${d2.preset} ${norm}, from random initialisation (Rethinking ImageNet Pre-training).`,
        'Complete: needs no base config file. Schedule scaled to this dataset from the run\'s epochs; BASE_LR by the linear scaling rule.',
      ]));
      copyFileSync(join(resources, 'detectron2', 'train.py'), join(tmp, 'train.py'));
      writeFileSync(join(tmp, 'README.md'), detectron2Readme(manifest, flat));
    } else {
      copyFileSync(join(resources, 'torchvision', 'train.py'), join(tmp, 'train.py'));
      copyFileSync(join(resources, 'torchvision', 'fieldwork_model.py'), join(tmp, 'fieldwork_model.py'));
      writeFileSync(join(tmp, 'README.md'), torchvisionReadme(manifest));
    }
    writeFileSync(join(tmp, 'fieldwork-run.json'), JSON.stringify(manifest, null, 2));
    if (existsSync(out)) rmSync(out, { recursive: true }); // empty (checked above)
    renameSync(tmp, out);
    return { outDir: out, engine: o.engine, splits, categories: classes.length, files: readdirSync(out).sort() };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The snapshot and config of run `runId`, or a new snapshot of the project with a preset's config. */
function frozenRun(project: Project, o: ExportRunOptions): { snapshot: CocoDataset; config: RunConfig; runId: string | null } {
  if (o.runId) {
    if (o.engine === 'torchvision' && o.preset) throw new UserError('--preset picks the recipe of a new snapshot; with --run the torchvision export keeps that run\'s architecture.');
    if (o.overrides) throw new UserError('--config applies to a new snapshot, not to an existing run (--run keeps its recipe).');
    if (!/^[\w.-]+$/.test(o.runId)) throw new UserError(`No run "${o.runId}".`);
    const dir = project.resolveInside(join('runs', o.runId));
    if (!existsSync(join(dir, 'snapshot.json')) || !existsSync(join(dir, 'config.json'))) throw new UserError(`No run "${o.runId}" with a frozen snapshot in this project.`);
    return { snapshot: JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')), config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), runId: o.runId };
  }
  const snapshot = buildSnapshot(project);
  const trainImages = snapshot.images.filter((i) => i.split === 'train').length;
  const preset = (o.engine === 'torchvision' ? o.preset ?? 'paper' : 'paper') as PresetName;
  if (!['paper', 'cpu', 'tiny'].includes(preset)) throw new UserError(`--preset for torchvision must be paper, cpu or tiny (Fieldwork's presets), not "${preset}".`);
  return { snapshot, config: runConfigFor({ preset, overrides: o.overrides } as Parameters<typeof runConfigFor>[0], trainImages), runId: null };
}

/** Copies, links or references each image; returns the file_name each split JSON gives it (relative to datasets/). */
function placeImages(images: CocoImage[], dir: string, mode: ImagesMode): Map<number, string> {
  const names = new Map<number, string>();
  if (mode !== 'absolute') mkdirSync(join(dir, 'images'));
  for (const img of images) {
    const src = img.file_name;
    if (!existsSync(src)) throw new UserError(`Image ${img.id} (${img.original_file_name ?? src}) is missing from the project folder; nothing was exported.`);
    if (mode === 'absolute') { names.set(img.id, src); continue; }
    const name = `${img.id}-${basename(src)}`;
    const dst = join(dir, 'images', name);
    if (mode === 'copy') copyFileSync(src, dst);
    else {
      try { linkSync(src, dst); } catch { symlinkSync(src, dst); }
    }
    names.set(img.id, `../images/${name}`);
  }
  return names;
}
