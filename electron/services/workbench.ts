// The services behind the WorkbenchApi, in plain Node: one object that Electron's IPC handlers and the
// browser mode's HTTP router both call. Holds the open project and emits the api's events.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Split, WorkbenchApi, WorkbenchEvents } from '../api.ts';
import { applyEdit, listAnnotations } from './annotations.ts';
import { createClass, deleteClass, listClasses, mergeClasses, updateClass } from './classes.ts';
import { exportCoco } from './coco_export.ts';
import { interopService } from './interop/service.ts';
import { compareRuns } from './compare.ts';
import { listLearningCurves, runLearningCurve } from './learning_curve.ts';
import { importCoco } from './coco_import.ts';
import { interchangeApi } from './formats/api.ts';
import { UserError } from './errors.ts';
import { getImage, imageFiles, importImages, listImages, setImageStatus } from './images.ts';
import { DB_FILE, Project } from './project.ts';
import { acceptPrediction, correctionCounts, matchImage, nodePredictLauncher, predictForReview, rejectPrediction, resetPrediction, reviewImages } from './review.ts';
import { nodeTrainerLauncher, RunSupervisor, type TrainerLauncher } from './runs.ts';
import { readTrainChoice, saveTrainChoice } from './train_choice.ts';
import { trainScale } from './train_scale.ts';
import { assignSplits, previewSplits, setFrozen, setSplit, splitState, undoSplits } from './splits.ts';
import { straddlingGroups } from './split_groups.ts';
import { withProjectFacts } from './check_extras.ts';
import { annotationOutlines } from './outlines.ts';
import { fromHome } from './user-paths.ts';
import { deleteImages, deleteSummary } from './image_delete.ts';
import { datasetStats } from './stats.ts';
import { projectOverview } from './overview.ts';

export interface WorkbenchOptions {
  /** Where recent projects and the demo project live (Electron's userData; a temp dir in tests). */
  userDataDir: string;
  /** The app's resources/ folder (demo data). */
  resourcesDir: string;
  /** Largest image accepted on import, in pixels. */
  maxPixels?: number;
  /** How trainer processes start (Electron runs Node through its own binary). */
  launchTrainer?: TrainerLauncher;
  /** What relative project paths are relative to (the user's home folder by default). */
  homeDir?: string;
}

type Listener<E extends keyof WorkbenchEvents> = (payload: WorkbenchEvents[E]) => void;

export class Workbench {
  readonly api: WorkbenchApi;
  #project: Project | null = null;
  #runs: RunSupervisor | null = null;
  #listeners = new Map<keyof WorkbenchEvents, Set<Listener<keyof WorkbenchEvents>>>();
  readonly #options: WorkbenchOptions;

  constructor(options: WorkbenchOptions) {
    this.#options = options;
    mkdirSync(options.userDataDir, { recursive: true });
    this.api = this.#buildApi();
  }

  get project(): Project {
    if (!this.#project) throw new UserError('No project is open; create or open one first.');
    return this.#project;
  }

  hasProject(): boolean {
    return this.#project !== null;
  }

  on<E extends keyof WorkbenchEvents>(event: E, listener: Listener<E>): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as Listener<keyof WorkbenchEvents>);
    this.#listeners.set(event, set);
    return () => set.delete(listener as Listener<keyof WorkbenchEvents>);
  }

  emit<E extends keyof WorkbenchEvents>(event: E, payload: WorkbenchEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) listener(payload);
  }

  /** Files behind the media routes (`fieldwork-media://images/<id>` in Electron, `/files/images/<id>` in the browser). */
  mediaFile(kind: 'images' | 'thumbs', id: number): string {
    const files = imageFiles(this.project, id);
    return kind === 'images' ? files.full : files.thumb;
  }

  get runs(): RunSupervisor {
    if (!this.#runs) throw new UserError('No project is open; create or open one first.');
    return this.#runs;
  }

  close(): void {
    this.#runs?.stopAll();
    this.#runs = null;
    this.#project?.close();
    this.#project = null;
  }

  #setProject(project: Project): void {
    this.close();
    this.#project = project;
    this.#runs = new RunSupervisor(project, this.#options.launchTrainer ?? nodeTrainerLauncher, (runId, event, summary) => this.emit('runEvent', { runId, event, summary }));
    this.#remember(project.dir);
    this.emit('projectChanged', { what: 'project' });
  }

  #recentFile(): string {
    return join(this.#options.userDataDir, 'recent.json');
  }

  #recent(): string[] {
    try {
      const list = JSON.parse(readFileSync(this.#recentFile(), 'utf8'));
      return Array.isArray(list) ? list.filter((p) => typeof p === 'string' && existsSync(join(p, DB_FILE))) : [];
    } catch {
      return [];
    }
  }

  #remember(dir: string): void {
    const list = [dir, ...this.#recent().filter((p) => p !== dir)].slice(0, 10);
    writeFileSync(this.#recentFile(), JSON.stringify(list, null, 2));
  }

  #progress(job: string) {
    return (done: number, total: number, current?: string) => this.emit('importProgress', { job, done, total, current });
  }

  #buildApi(): WorkbenchApi {
    const wb = this;
    const changed = <T>(what: WorkbenchEvents['projectChanged']['what'], value: T): T => {
      wb.emit('projectChanged', { what });
      return value;
    };
    return {
      projects: {
        async create(dir, name) {
          if (typeof dir !== 'string' || dir.trim() === '') throw new UserError('Choose a folder for the new project.');
          wb.#setProject(Project.create(fromHome(dir, wb.#options.homeDir), name));
          return wb.project.info();
        },
        async open(dir) {
          if (typeof dir !== 'string' || dir.trim() === '') throw new UserError('Choose a project folder to open.');
          wb.#setProject(Project.open(fromHome(dir, wb.#options.homeDir)));
          return wb.project.info();
        },
        async openDemo() {
          const dir = join(wb.#options.userDataDir, 'demo-project');
          if (existsSync(join(dir, DB_FILE))) {
            wb.#setProject(Project.open(dir));
          } else {
            const demo = resolve(wb.#options.resourcesDir, 'demo');
            if (!existsSync(demo)) throw new UserError(`The demo data is missing from ${demo}.`);
            const project = Project.create(dir, 'Demo: wagon defects');
            try {
              await importCoco(project, demo, { onProgress: wb.#progress('coco') });
            } catch (err) {
              project.close();
              throw err;
            }
            wb.#setProject(project);
          }
          return wb.project.info();
        },
        async current() {
          return wb.#project?.info() ?? null;
        },
        async close() {
          wb.close();
        },
        async recent() {
          return wb.#recent();
        },
        async overview(request) {
          return projectOverview(wb.project, request);
        },
      },
      images: {
        async import(paths) {
          if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) throw new UserError('Give a list of file or folder paths.');
          const report = await importImages(wb.project, paths, { maxPixels: wb.#options.maxPixels, onProgress: wb.#progress('images') });
          return changed('images', report);
        },
        async list(query) {
          return listImages(wb.project, query ?? {});
        },
        async get(id) {
          return getImage(wb.project, id);
        },
        async setStatus(id, status) {
          return changed('images', setImageStatus(wb.project, id, status));
        },
        async deleteSummary(ids) {
          return deleteSummary(wb.project, ids);
        },
        async delete(ids) {
          return changed('images', deleteImages(wb.project, ids));
        },
      },
      annotations: {
        async list(imageId) {
          getImage(wb.project, imageId);
          return listAnnotations(wb.project, imageId);
        },
        async apply(imageId, ops) {
          return changed('annotations', applyEdit(wb.project, imageId, ops));
        },
        async outlines(imageIds) {
          return annotationOutlines(wb.project, imageIds);
        },
      },
      classes: {
        async list() {
          return listClasses(wb.project);
        },
        async create(name, color) {
          return changed('classes', createClass(wb.project, name, color));
        },
        async update(id, patch) {
          return changed('classes', updateClass(wb.project, id, patch ?? {}));
        },
        async merge(fromId, intoId) {
          return changed('classes', mergeClasses(wb.project, fromId, intoId));
        },
        async delete(id, reassignTo) {
          deleteClass(wb.project, id, reassignTo ?? null);
          wb.emit('projectChanged', { what: 'classes' });
        },
      },
      splits: {
        async get() {
          return splitState(wb.project);
        },
        async preview(ratios, seed, options) {
          return previewSplits(wb.project, ratios, seed, options);
        },
        async assign(ratios, seed, options) {
          return changed('splits', await assignSplits(wb.project, ratios, seed, options));
        },
        async undo() {
          return changed('splits', undoSplits(wb.project));
        },
        async straddling() {
          return straddlingGroups(wb.project);
        },
        async set(imageIds, split: Split) {
          return changed('splits', setSplit(wb.project, imageIds, split));
        },
        async setFrozen(frozen) {
          return changed('splits', setFrozen(wb.project, Boolean(frozen)));
        },
      },
      coco: {
        async import(path, options) {
          if (typeof path !== 'string' || path.trim() === '') throw new UserError('Give the path of a COCO JSON file or export folder.');
          const report = await importCoco(wb.project, path, { ...options, maxPixels: wb.#options.maxPixels, onProgress: wb.#progress('coco') });
          return changed('images', report);
        },
        async export(outPath, options) {
          if (typeof outPath !== 'string' || outPath.trim() === '') throw new UserError('Give the path of the COCO JSON to write.');
          return exportCoco(wb.project, outPath, options ?? {});
        },
        ...interchangeApi(() => wb.project, () => ({ maxPixels: wb.#options.maxPixels, onProgress: wb.#progress('coco') }), (report) => changed('images', report)),
      },
      stats: {
        async get() {
          return datasetStats(wb.project);
        },
      },
      runs: {
        async check(options) {
          return withProjectFacts(wb.project, wb.runs.check(options ?? {}));
        },
        async estimate(options) {
          if (!options || typeof options !== 'object') throw new UserError('Choose a preset to estimate.');
          return wb.runs.estimate(options);
        },
        async start(options) {
          if (!options || typeof options !== 'object') throw new UserError('Choose a preset to train.');
          // A short budget nothing has priced yet is timed first, so a too-short one is refused here.
          await wb.runs.probeBudget(options);
          return changed('runs', wb.runs.start(options));
        },
        async list() {
          return wb.runs.list();
        },
        async get(id) {
          return wb.runs.detail(id);
        },
        async cancel(id) {
          return wb.runs.cancel(id);
        },
        async resume(id) {
          return changed('runs', wb.runs.resume(id));
        },
        async extend(id, minutes) {
          return changed('runs', wb.runs.extend(id, minutes));
        },
        async compare(a, b) {
          return compareRuns(wb.runs, a, b);
        },
        async scale(options, shortSide) {
          if (!options || typeof options !== 'object') throw new UserError('Choose a preset first.');
          return trainScale(wb.project, options, shortSide ?? undefined);
        },
        async choice() {
          return readTrainChoice(wb.project);
        },
        async saveChoice(choice) {
          saveTrainChoice(wb.project, choice);
        },
        async startLearningCurve(options) {
          if (!options || typeof options !== 'object') throw new UserError('Choose a preset for the learning curve.');
          const project = wb.project;
          const runs = wb.runs;
          // Runs in the background; the first record comes back at once, the rest as events.
          return new Promise((resolve, reject) => {
            let first = true;
            runLearningCurve(project, runs, options, (record) => {
              wb.emit('learningCurve', record);
              if (first) {
                first = false;
                resolve(record);
              }
            }).catch((err) => (first ? reject(err) : wb.emit('learningCurve', { ...(listLearningCurves(project)[0] ?? {}), status: 'failed', error: (err as Error).message } as never)));
          });
        },
        async learningCurves() {
          return listLearningCurves(wb.project);
        },
      },
      interop: interopService(() => wb.project, (result) => changed('runs', result), resolve(wb.#options.resourcesDir, 'interop')),
      review: {
        async predict(runId, target) {
          const result = await predictForReview(wb.project, wb.runs, runId, target ?? {}, wb.#options.launchTrainer ?? nodePredictLauncher, wb.#progress('predict'));
          return changed('runs', result);
        },
        async images(runId, query) {
          return reviewImages(wb.project, runId, query ?? {});
        },
        async image(runId, imageId, minScore) {
          return matchImage(wb.project, runId, imageId, minScore ?? 0.5);
        },
        async accept(predictionId, geometry) {
          return changed('annotations', acceptPrediction(wb.project, predictionId, geometry));
        },
        async reject(predictionId) {
          rejectPrediction(wb.project, predictionId);
        },
        async reset(predictionId) {
          resetPrediction(wb.project, predictionId);
          wb.emit('projectChanged', { what: 'annotations' });
        },
        async corrections(runId) {
          return correctionCounts(wb.project, runId);
        },
      },
    };
  }
}
