// Training runs: "Train from scratch" freezes a snapshot of the labels into runs/<id>/, then a trainer
// process (trainer/cli.ts) trains on that folder alone and streams TrainerProtocol events as JSON lines.
// This module is the only side that writes the runs table; the run folder stays the source of truth
// and has one writer, the trainer (report.json with its verdict included): this side records what the
// trainer sends in SQLite and never rewrites its files.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunDetail, RunEstimate, RunStatus, RunSummary, TrainOptions } from '../api.ts';
import type { CocoDataset, CocoImage } from '../../trainer/common/coco.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { datasetCheck, type DatasetCheck } from '../../trainer/advice/dataset_check.ts';
import { budgetNeedsProbe } from '../../trainer/data/budget_price.ts';
import { preflightProblems } from '../../trainer/data/preflight.ts';
import { ConfigError, validateRunConfig, type RunConfig } from '../../trainer/common/config.ts';
import { buildCocoDataset } from './coco_export.ts';
import { NotFoundError, UserError } from './errors.ts';
import type { Project } from './project.ts';
import { seededRandom } from '../../trainer/common/rng.ts';
import { writeJsonAtomic } from '../../trainer/io/atomic.ts';
import { readRunEvents } from '../../trainer/io/jsonl.ts';
import { dataAwareDraft, finishRunConfig } from './run_preflight.ts';
import { recordEstimateSpeed, runMachine } from './run_history.ts';

export const TRAINER_BIN = fileURLToPath(new URL('../../bin/fieldwork-train.js', import.meta.url));

/** Starts the trainer CLI with `args`; Electron passes one that runs Node through its own binary. */
export type TrainerLauncher = (args: string[]) => ChildProcess;

export const nodeTrainerLauncher: TrainerLauncher = (args) =>
  spawn(process.execPath, [TRAINER_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * The snapshot a run trains on: every labelled image (and every image marked done, even without labels —
 * a true negative), with absolute paths, its split and its project image id. Unlabelled and skipped
 * images stay out: an image nobody has labelled yet is not evidence of "nothing here".
 */
export function buildSnapshot(project: Project, trainFraction = 1, seed = 1): CocoDataset {
  const included = new Set(
    (project.db.prepare("SELECT id FROM images WHERE status = 'done' OR (status != 'skipped' AND EXISTS (SELECT 1 FROM annotations a WHERE a.image_id = images.id))").all() as { id: number }[]).map((r) => r.id),
  );
  const rows: { id: number; file_name: string }[] = [];
  const dataset = buildCocoDataset(project, undefined, (row) => {
    rows.push(row);
    return project.resolveInside(row.stored_path);
  });
  let images: CocoImage[] = dataset.images.flatMap((img, i) => (included.has(rows[i].id) ? [{ ...img, project_image_id: rows[i].id, original_file_name: rows[i].file_name }] : []));
  if (trainFraction < 1) {
    const chosen = stratifiedSubset(images.filter((i) => i.split === 'train').map((i) => i.id), dataset.annotations, trainFraction, seed);
    images = images.filter((i) => i.split !== 'train' || chosen.has(i.id));
  }
  const keep = new Set(images.map((i) => i.id));
  return { ...dataset, images, annotations: dataset.annotations.filter((a) => keep.has(a.image_id)) };
}

/**
 * A seeded share of `imageIds`, stratified by each image's rarest class, so every class keeps about the
 * same share of its images (rounded up: a class with any image keeps at least one).
 */
export function stratifiedSubset(imageIds: number[], annotations: CocoDataset['annotations'], fraction: number, seed: number): Set<number> {
  if (!(fraction > 0 && fraction <= 1)) throw new UserError(`trainFraction must be in (0, 1], not ${fraction}.`);
  const freq = new Map<number, number>();
  const classesOf = new Map<number, number[]>();
  for (const a of annotations) {
    freq.set(a.category_id, (freq.get(a.category_id) ?? 0) + 1);
    classesOf.set(a.image_id, [...(classesOf.get(a.image_id) ?? []), a.category_id]);
  }
  const strata = new Map<number, number[]>();
  for (const id of imageIds) {
    const classes = classesOf.get(id) ?? [];
    const key = classes.length === 0 ? -1 : classes.reduce((a, b) => ((freq.get(a) ?? 0) <= (freq.get(b) ?? 0) ? a : b));
    strata.set(key, [...(strata.get(key) ?? []), id]);
  }
  const random = seededRandom(seed);
  const chosen = new Set<number>();
  for (const key of [...strata.keys()].sort((a, b) => a - b)) {
    const ids = strata.get(key)!;
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    for (const id of ids.slice(0, Math.ceil(ids.length * fraction))) chosen.add(id);
  }
  return chosen;
}

export function snapshotHash(snapshot: CocoDataset): string {
  const h = createHash('sha256');
  for (const img of snapshot.images) h.update(`${img.project_image_id}|${img.split}|`);
  for (const a of snapshot.annotations) h.update(JSON.stringify([a.image_id, a.category_id, a.iscrowd, a.segmentation, a.bbox]));
  for (const c of snapshot.categories) h.update(c.name);
  return h.digest('hex');
}

/**
 * The run config for `options`: the preset's values, then overrides, then the run length and — with the
 * run's `snapshot` — the data-aware scale and anchors (run_preflight.ts). The user's input is checked
 * first (every later step reads its filled values); what the steps derive from it is one new draft,
 * validated once at the end and frozen, so nothing changes a config after it was validated.
 */
export function runConfigFor(options: TrainOptions, trainImages: number, snapshot?: CocoDataset): RunConfig {
  try {
    const user = validateRunConfig({ ...(options.overrides ?? {}), preset: options.preset });
    let draft = user;
    const epochs = runEpochs(options, user.solver.imsPerBatch, trainImages);
    if (epochs !== undefined) draft = { ...draft, solver: { ...draft.solver, epochs } };
    if (snapshot) draft = dataAwareDraft(options, snapshot, draft);
    return deepFreeze(draft === user ? user : validateRunConfig(draft));
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.message.replace(/^Error in validateRunConfig: /, 'Run config: '), err.details);
    throw err;
  }
}

/** The epochs `options` ask for (as iterations or epochs), or undefined for the preset's. */
function runEpochs(options: TrainOptions, imsPerBatch: number, trainImages: number): number | undefined {
  if (options.iterations !== undefined) {
    if (!Number.isInteger(options.iterations) || options.iterations < 1) throw new UserError(`iterations must be a positive whole number, not ${options.iterations}.`);
    if (trainImages === 0) throw new UserError('The train split has no labelled images.');
    return (options.iterations * imsPerBatch) / trainImages;
  }
  return options.epochs;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

interface RunRow {
  id: string;
  created_at: string;
  preset: RunSummary['preset'];
  status: RunStatus;
  backend: string | null;
  train_images: number;
  val_images: number;
  annotations: number;
  snapshot_hash: string;
  iteration: number;
  total_iterations: number | null;
  best_box_ap: number | null;
  best_mask_ap: number | null;
  verdict: string | null;
  error: string | null;
  finished_at: string | null;
  train_fraction: number;
}

const toSummary = (r: RunRow): RunSummary => ({
  id: r.id,
  createdAt: r.created_at,
  preset: r.preset,
  status: r.status,
  backend: r.backend,
  trainImages: r.train_images,
  valImages: r.val_images,
  annotations: r.annotations,
  snapshotHash: r.snapshot_hash,
  iteration: r.iteration,
  totalIterations: r.total_iterations,
  bestBoxAp: r.best_box_ap,
  bestMaskAp: r.best_mask_ap,
  verdict: r.verdict,
  error: r.error,
  finishedAt: r.finished_at,
  trainFraction: r.train_fraction,
});


export { readRunEvents };

/** What a run of some TrainOptions would be made of, before its folder exists. */
interface RunDraft { snapshot: CocoDataset; config: RunConfig; trainImages: number; valImages: number; trainFraction: number }

/** Starts, watches, cancels and resumes trainer processes for one project. */
export class RunSupervisor {
  readonly #project: Project;
  readonly #launch: TrainerLauncher;
  readonly #onEvent: (runId: string, event: TrainerEvent, summary: RunSummary) => void;
  readonly #live = new Map<string, { child: ChildProcess; cancelRequested: boolean; stderr: string[] }>();
  readonly #waiters = new Map<string, ((summary: RunSummary) => void)[]>();

  constructor(project: Project, launch: TrainerLauncher, onEvent: (runId: string, event: TrainerEvent, summary: RunSummary) => void) {
    this.#project = project;
    this.#launch = launch;
    this.#onEvent = onEvent;
    // A run left "running" by a previous app session has no process any more: it can be resumed.
    project.db.prepare("UPDATE runs SET status = 'interrupted', error = 'The app closed while this run was training; resume continues from the last checkpoint.' WHERE status = 'running'").run();
  }

  runDir(id: string): string {
    return this.#project.resolveInside(join('runs', id));
  }

  check(options: Pick<TrainOptions, 'trainFraction'> = {}): DatasetCheck {
    return datasetCheck(buildSnapshot(this.#project, options.trainFraction ?? 1));
  }

  /** The snapshot and validated config a run of `options` would use; throws UserError / ConfigError when it cannot be made. */
  #draft(options: TrainOptions): RunDraft {
    const trainFraction = options.trainFraction ?? 1;
    const snapshot = buildSnapshot(this.#project, trainFraction);
    const trainImages = snapshot.images.filter((i) => i.split === 'train').length;
    if (trainImages === 0) throw new UserError('No labelled images in the train split: label some images (or assign splits) first.');
    const valImages = snapshot.images.filter((i) => i.split === 'val').length;
    return { snapshot, config: runConfigFor(options, trainImages, snapshot), trainImages, valImages, trainFraction };
  }

  /** Checks the draft of `options` can run here, then writes its snapshot and config into `dir`. */
  #freeze(options: TrainOptions, dir: string): RunDraft {
    const draft = this.#draft(options);
    const { snapshot, config } = draft;
    finishRunConfig(snapshot, config, runMachine(this.#project));
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(join(dir, 'snapshot.json'), snapshot, 2);
    writeJsonAtomic(join(dir, 'config.json'), config, 2);
    return draft;
  }

  /** Times a few train steps of `options` in a scratch folder that is removed afterwards. */
  async estimate(options: TrainOptions): Promise<RunEstimate> {
    const dir = this.#project.resolveInside(join('runs', '.estimates', randomBytes(4).toString('hex')));
    try {
      const frozen = this.#freeze(options, dir);
      const child = this.#launch(['estimate', dir, '--json']);
      const lines: string[] = [];
      createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
      const stderr: string[] = [];
      createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      const last = lines.filter((l) => l.trim().startsWith('{')).at(-1);
      if (code !== 0 || !last) throw new UserError(`The time estimate failed: ${stderr.slice(-3).join(' ') || `exit code ${code}`}`);
      const result = JSON.parse(last) as RunEstimate;
      recordEstimateSpeed(this.#project, frozen.config, { train: frozen.trainImages, val: frozen.valImages }, result);
      return result;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Before start(): when `options` ask for a short time budget that nothing on this machine has priced
   * (no earlier budget run or estimate of the same model), times an estimate of the same run without
   * its budget and keeps its speeds (recordEstimateSpeed), so that start() can refuse a budget too
   * short for the run's start and one evaluation before the run exists. True when it timed one.
   * A run that cannot start for another reason is left to start() to refuse with its message.
   */
  async probeBudget(options: TrainOptions): Promise<boolean> {
    let draft: RunDraft;
    try {
      draft = this.#draft(options);
    } catch {
      return false;
    }
    if (preflightProblems(draft.snapshot, draft.config).length) return false;
    if (!budgetNeedsProbe(draft.config, { train: draft.trainImages, val: draft.valImages }, runMachine(this.#project).priors)) return false;
    const overrides = options.overrides ?? {};
    const solver = typeof overrides.solver === 'object' && overrides.solver !== null ? overrides.solver : {};
    await this.estimate({ ...options, overrides: { ...overrides, solver: { ...solver, budgetMinutes: 0 } } });
    return true;
  }

  /** Freezes the snapshot and config into a new run folder and starts the trainer on it. */
  start(options: TrainOptions): RunSummary {
    const id = `${new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '')}-${randomBytes(2).toString('hex')}`;
    const dir = this.runDir(id);
    const { snapshot, config, trainImages, valImages, trainFraction } = this.#freeze(options, dir);
    this.#project.db.transaction(() => {
      this.#project.db
        .prepare('INSERT INTO runs (id, created_at, preset, status, train_images, val_images, annotations, snapshot_hash, train_fraction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, new Date().toISOString(), config.preset, 'running', trainImages, valImages, snapshot.annotations.length, snapshotHash(snapshot), trainFraction);
    })();
    this.#spawn(id, ['train', dir, '--json']);
    return this.get(id);
  }

  list(): RunSummary[] {
    return (this.#project.db.prepare('SELECT * FROM runs ORDER BY created_at DESC').all() as RunRow[]).map(toSummary);
  }

  get(id: string): RunSummary {
    const row = this.#project.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    if (!row) throw new NotFoundError(`No run ${id}.`);
    return toSummary(row);
  }

  detail(id: string): RunDetail {
    const summary = this.get(id);
    const dir = this.runDir(id);
    const readJson = (name: string) => (existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), 'utf8')) : null);
    return { ...summary, runDir: dir, config: readJson('config.json') ?? {}, events: readRunEvents(dir), report: readJson('report.json') };
  }

  cancel(id: string): RunSummary {
    const live = this.#live.get(id);
    if (!live) throw new UserError(`Run ${id} is not training.`);
    live.cancelRequested = true;
    // The trainer checkpoints and exits on SIGTERM; a trainer that does not answer is killed.
    live.child.kill('SIGTERM');
    const timer = setTimeout(() => live.child.kill('SIGKILL'), 30_000);
    live.child.once('exit', () => clearTimeout(timer));
    return this.get(id);
  }

  resume(id: string): RunSummary {
    const run = this.get(id);
    if (this.#live.has(id)) throw new UserError(`Run ${id} is already training.`);
    if (run.status === 'done') throw new UserError(`Run ${id} has finished; start a new run to train again.`);
    this.#setStatus(id, 'running', null);
    this.#spawn(id, ['resume', this.runDir(id), '--json']);
    return this.get(id);
  }

  /** Trains a stopped or finished run `minutes` more from its last checkpoint, with a new schedule tail. */
  extend(id: string, minutes: number): RunSummary {
    this.get(id);
    if (this.#live.has(id)) throw new UserError(`Run ${id} is already training.`);
    if (!(Number.isFinite(minutes) && minutes >= 0.05)) throw new UserError(`minutes must be a number ≥ 0.05, not ${minutes}.`);
    if (!existsSync(join(this.runDir(id), 'checkpoints', 'last'))) throw new UserError(`Run ${id} has no checkpoint to continue from.`);
    this.#setStatus(id, 'running', null);
    this.#spawn(id, ['extend', this.runDir(id), '--minutes', String(minutes), '--json']);
    return this.get(id);
  }

  isLive(id: string): boolean {
    return this.#live.has(id);
  }

  /** Resolves with the run's summary once its trainer process has exited (at once if it is not training). */
  whenFinished(id: string): Promise<RunSummary> {
    if (!this.#live.has(id)) return Promise.resolve(this.get(id));
    return new Promise((resolve) => this.#waiters.set(id, [...(this.#waiters.get(id) ?? []), resolve]));
  }

  /** Stops every trainer this supervisor started (app quit); the runs stay resumable. */
  stopAll(): void {
    for (const [id, live] of this.#live) {
      live.cancelRequested = true;
      live.child.kill('SIGTERM');
      this.#setStatus(id, 'interrupted', 'The app closed while this run was training; resume continues from the last checkpoint.');
    }
  }

  #setStatus(id: string, status: RunStatus, error: string | null): void {
    const finished = status === 'running' ? null : new Date().toISOString();
    this.#project.db.prepare('UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?').run(status, error, finished, id);
  }

  #spawn(id: string, args: string[]): void {
    const child = this.#launch(args);
    const live = { child, cancelRequested: false, stderr: [] as string[] };
    this.#live.set(id, live);
    // The trainer's own done/failed is held until its process has exited and the status is recorded,
    // then sent once: one terminal event per run.
    let terminal: TrainerEvent | undefined;
    let lastProgressWrite = 0;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: TrainerEvent;
      try {
        event = JSON.parse(line);
      } catch {
        return; // not an event (a stray log line)
      }
      if (!event || typeof event !== 'object' || typeof event.type !== 'string') return;
      if (event.type === 'done' || event.type === 'failed') {
        terminal = event;
        this.#record(id, event);
        return;
      }
      if (event.type === 'progress' && Date.now() - lastProgressWrite < 1000) {
        this.#onEvent(id, event, { ...this.get(id), iteration: event.iteration, totalIterations: event.totalIterations });
        return;
      }
      if (event.type === 'progress') lastProgressWrite = Date.now();
      this.#record(id, event);
      this.#onEvent(id, event, this.get(id));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      live.stderr.push(line);
      if (live.stderr.length > 40) live.stderr.shift();
    });
    child.on('error', (err) => live.stderr.push(`could not start the trainer: ${err.message}`));
    child.on('close', (code, signal) => {
      this.#live.delete(id);
      if (!this.#project.db.open) return;
      if (terminal?.type === 'done') {
        this.#setStatus(id, terminal.reason === 'cancelled' ? 'cancelled' : 'done', null);
      } else if (terminal?.type === 'failed') {
        this.#setStatus(id, 'failed', terminal.reason);
      } else if (live.cancelRequested) {
        this.#setStatus(id, 'cancelled', null);
      } else {
        const tail = live.stderr.filter((l) => l.trim()).slice(-5).join('\n') || this.#logTail(id);
        this.#setStatus(id, 'failed', `The trainer stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}).${tail ? `\n${tail}` : ''}`);
        // A crash leaves no report and no verdict (not the last one of an earlier session either).
        this.#project.db.prepare('UPDATE runs SET verdict = NULL WHERE id = ?').run(id);
      }
      const summary = this.get(id);
      // Synthesised only when the trainer died without sending its own (a crash, or killed on cancel).
      const event: TrainerEvent = terminal ?? (summary.status === 'failed'
        ? { type: 'failed', time: new Date().toISOString(), reason: summary.error ?? 'failed', iteration: summary.iteration }
        : { type: 'done', time: new Date().toISOString(), iteration: summary.iteration, bbox: [], segm: [], reason: 'cancelled' });
      this.#onEvent(id, event, summary);
      for (const resolve of this.#waiters.get(id) ?? []) resolve(summary);
      this.#waiters.delete(id);
    });
  }

  #logTail(id: string): string {
    const log = join(this.runDir(id), 'log.txt');
    if (!existsSync(log)) return '';
    return readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n');
  }

  #record(id: string, event: TrainerEvent): void {
    const db = this.#project.db;
    db.transaction(() => {
      switch (event.type) {
        case 'started':
          db.prepare('UPDATE runs SET backend = ?, total_iterations = ?, iteration = ? WHERE id = ?').run(event.backend, event.totalIterations, event.startIteration, id);
          break;
        case 'progress':
          db.prepare('UPDATE runs SET iteration = ?, total_iterations = ? WHERE id = ?').run(event.iteration, event.totalIterations, id);
          break;
        case 'evaluation':
          if (event.split === 'val') {
            db.prepare('UPDATE runs SET best_box_ap = MAX(COALESCE(best_box_ap, -1), ?), best_mask_ap = MAX(COALESCE(best_mask_ap, -1), ?) WHERE id = ?').run(event.bbox[0] ?? -1, event.segm[0] ?? -1, id);
          }
          break;
        case 'done':
          db.prepare('UPDATE runs SET iteration = ? WHERE id = ?').run(event.iteration, id);
          break;
        case 'verdict':
          // The verdict of the trainer's report.json (the final one); live ones are only shown.
          if (event.final) db.prepare('UPDATE runs SET verdict = ? WHERE id = ?').run(event.verdict.verdict, id);
          break;
        default:
          break;
      }
    })();
  }
}
