// Training runs of the open project: the dataset check, the train options (preset, length, advanced
// overrides), the runs list, the run being watched (live events, then its report), comparisons and
// learning curves. Training itself happens in the trainer process; this only asks and listens.
import type {
  DatasetCheck,
  LearningCurveRecord,
  PresetName,
  RunComparison,
  RunDetail,
  RunEstimate,
  RunSummary,
  TrainChoice,
  TrainScale,
  TrainerEvent,
  TrainOptions,
  Unsubscribe,
  WorkbenchClient,
} from '../../../../electron/api.ts';
import { PRESETS } from '../../../../trainer/common/config.ts';
import { TRAIN_SCALE_PATHS } from '../../../../trainer/common/scale_paths.ts';
import { errorMessage } from '../api/errors.ts';
import { overridesFrom, type ConfigEdits } from '../train/config-fields.ts';
import { mergeWatchedEvents } from '../train/watch-events.ts';
import type { Notices } from './notices.svelte.ts';

export const PRESET_DESCRIPTIONS: Record<PresetName, string> = {
  cpu: 'Small GroupNorm ResNet-FPN at 128–160 px: trains at a useful speed on a laptop CPU.',
  paper: 'The paper’s R50-FPN with GroupNorm at 800 px and a long schedule: needs a GPU and days.',
  tiny: 'Smallest model at 64 px: finishes in seconds, for trying the loop, not for real results.',
};

export class RunsState {
  readonly client: WorkbenchClient;
  readonly notices: Notices;
  runs = $state.raw<RunSummary[]>([]);
  curves = $state.raw<LearningCurveRecord[]>([]);
  check = $state.raw<DatasetCheck | null>(null);
  checkError = $state<string | null>(null);
  preset = $state<PresetName>('cpu');
  /** Run length in epochs; null = the preset's default. */
  epochs = $state<number | null>(null);
  /** A time budget in minutes instead of epochs ("train for 2 h"); null = the length is in epochs. */
  budgetMinutes = $state<number | null>(null);
  /** Advanced values the user changed, by dotted path (e.g. 'solver.baseLr'). */
  edits = $state<ConfigEdits>({});
  /** The run shown live (train screen) or as a report: its detail plus the events that arrived since. */
  watched = $state.raw<RunDetail | null>(null);
  watchedEvents = $state.raw<TrainerEvent[]>([]);
  /** The latest progress event of each running run (progress bar, ETA, images/s). */
  progress = $state.raw<Record<string, Extract<TrainerEvent, { type: 'progress' }>>>({});
  comparison = $state.raw<RunComparison | null>(null);
  compareIds = $state.raw<string[]>([]);
  starting = $state(false);
  /** A measured estimate for the current options (cleared when they change), and whether one is being measured. */
  estimate = $state.raw<{ key: string; value: RunEstimate } | null>(null);
  estimating = $state(false);
  /** The training scale a run of the current options would get (shown before Start), or why it cannot be had. */
  scale = $state.raw<TrainScale | null>(null);
  scaleError = $state<string | null>(null);

  readonly overrides = $derived(overridesFrom(this.edits));
  readonly presetConfig = $derived(PRESETS[this.preset]);
  readonly options: TrainOptions = $derived.by(() => {
    const options: TrainOptions = { preset: this.preset };
    if (this.epochs !== null && this.epochs > 0 && this.budgetMinutes === null) options.epochs = this.epochs;
    if (Object.keys(this.overrides).length > 0) options.overrides = this.overrides;
    if (this.budgetMinutes !== null) options.overrides = withBudget(options.overrides, this.budgetMinutes);
    return options;
  });

  /** What the user chose (preset, length, edits): saved per project as it changes, restored on entering the screen. */
  readonly choice: TrainChoice = $derived({ preset: this.preset, epochs: this.epochs, budgetMinutes: this.budgetMinutes, edits: this.edits });

  readonly #unsubscribe: Unsubscribe[] = [];
  #watchRequest = 0;
  #scaleRequest = 0;
  /** Events of the run whose detail is being fetched, streamed meanwhile (merged into it when it arrives). */
  #arriving: { id: string; events: TrainerEvent[] } | null = null;
  /** Saving starts once the saved choice has been read back (so the defaults never overwrite it). */
  #choiceRestored = false;
  #savedChoice = '';

  constructor(client: WorkbenchClient, notices: Notices) {
    this.client = client;
    this.notices = notices;
    this.#unsubscribe.push(
      client.on('runEvent', ({ runId, event, summary }) => this.#onRunEvent(runId, event, summary)),
      client.on('learningCurve', (record) => this.#upsertCurve(record)),
      $effect.root(() => {
        $effect(() => {
          const key = JSON.stringify(this.choice);
          if (!this.#choiceRestored || key === this.#savedChoice) return;
          this.#savedChoice = key;
          const choice = $state.snapshot(this.choice) as TrainChoice;
          void this.notices.guard(() => this.client.runs.saveChoice(choice));
        });
      }),
    );
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
  }

  get finishedRuns(): RunSummary[] {
    return this.runs.filter((r) => r.status === 'done' || (r.iteration > 0 && r.status !== 'running'));
  }

  run(id: string): RunSummary | undefined {
    return this.runs.find((r) => r.id === id);
  }

  async refresh(): Promise<void> {
    const [runs, curves] = await Promise.all([this.notices.guard(() => this.client.runs.list()), this.notices.guard(() => this.client.runs.learningCurves())]);
    if (runs) this.runs = runs;
    if (curves) this.curves = curves;
  }

  /** The train screen opened: fresh runs and a fresh dataset check (labels may have changed). */
  async enterTrain(): Promise<void> {
    if (!this.#choiceRestored) await this.#restoreChoice();
    await Promise.all([this.refresh(), this.refreshCheck()]);
    // After a reload the screen starts empty: a run still training gets its live panel and preset back.
    const running = this.runs.find((r) => r.status === 'running');
    if (!this.watched && running) {
      if (running.preset !== this.preset) this.setPreset(running.preset);
      await this.watch(running.id);
    }
  }

  /** The project's last choice back on screen (once per opened project); from then on each change is saved. */
  async #restoreChoice(): Promise<void> {
    const before = JSON.stringify(this.choice);
    const saved = await this.notices.guard(() => this.client.runs.choice());
    // A choice the user made while the saved one was on its way wins over it.
    if (saved && !this.#choiceRestored && JSON.stringify(this.choice) === before) {
      this.preset = saved.preset;
      this.epochs = saved.epochs;
      this.budgetMinutes = saved.budgetMinutes;
      this.edits = saved.edits;
      this.#savedChoice = JSON.stringify(this.choice);
    }
    this.#choiceRestored = true;
  }

  async refreshCheck(): Promise<void> {
    try {
      this.check = await this.client.runs.check(this.options);
      this.checkError = null;
    } catch (err) {
      this.checkError = errorMessage(err);
    }
  }

  setPreset(preset: PresetName): void {
    this.preset = preset;
    this.edits = {};
  }

  setEdit(path: string, value: unknown): void {
    const edits = { ...this.edits };
    if (value === undefined) delete edits[path];
    else edits[path] = value;
    this.edits = edits;
  }

  /** Asks for the training scale of the current options; a later request's answer wins. */
  async refreshScale(): Promise<void> {
    const request = ++this.#scaleRequest;
    try {
      const scale = await this.client.runs.scale($state.snapshot(this.options) as TrainOptions);
      if (request !== this.#scaleRequest) return;
      this.scale = scale;
      this.scaleError = null;
    } catch (err) {
      if (request === this.#scaleRequest) this.scaleError = errorMessage(err);
    }
  }

  /** Trains at `shortSide`: the sides, max size, anchors and canonical size the service fits to it become edits. */
  async setScale(shortSide: number): Promise<void> {
    try {
      const at = await this.client.runs.scale($state.snapshot(this.options) as TrainOptions, shortSide);
      this.edits = { ...this.edits, ...(at.editsAt ?? {}) };
    } catch (err) {
      this.notices.show(`Could not set the training scale: ${errorMessage(err)}`, 'error');
    }
  }

  /** Drops the scale edits: the data-aware (or the preset's) scale again. */
  resetScale(): void {
    const edits = { ...this.edits };
    for (const path of TRAIN_SCALE_PATHS) delete edits[path];
    this.edits = edits;
  }

  /** Times a few real train steps of the current options on this machine (seconds to a minute). */
  async measureEstimate(): Promise<void> {
    if (this.estimating) return;
    this.estimating = true;
    const key = JSON.stringify(this.options);
    try {
      const value = await this.client.runs.estimate(this.options);
      this.estimate = { key, value };
    } catch (err) {
      this.notices.show(`Could not estimate the training time: ${errorMessage(err)}`, 'error');
    } finally {
      this.estimating = false;
    }
  }

  // ---------- runs ----------

  async start(): Promise<RunSummary | null> {
    if (this.starting) return null;
    this.starting = true;
    try {
      const run = await this.client.runs.start(this.options);
      this.#upsert(run);
      await this.watch(run.id);
      return run;
    } catch (err) {
      this.notices.show(`Could not start training: ${errorMessage(err)}`, 'error');
      return null;
    } finally {
      this.starting = false;
    }
  }

  async cancel(id: string): Promise<void> {
    const run = await this.notices.guard(() => this.client.runs.cancel(id));
    if (run) this.notices.show('Stopping the run at the next step; it keeps a checkpoint to resume from.');
  }

  async resume(id: string): Promise<void> {
    const run = await this.notices.guard(() => this.client.runs.resume(id));
    if (!run) return;
    this.#upsert(run);
    await this.watch(id);
  }

  /** "Train 1 h more": continues a finished or stopped run from its last checkpoint with a new schedule tail. */
  async extend(id: string, minutes: number): Promise<void> {
    const run = await this.notices.guard(() => this.client.runs.extend(id, minutes));
    if (!run) return;
    this.#upsert(run);
    this.notices.show(`Training run ${id} ${minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`} more from its last checkpoint.`);
    await this.watch(id);
  }

  /** Loads a run's detail and follows its live events from now on. */
  async watch(id: string): Promise<void> {
    const request = ++this.#watchRequest;
    if (!this.check) void this.refreshCheck();
    const arriving = { id, events: [] as TrainerEvent[] };
    this.#arriving = arriving;
    const detail = await this.notices.guard(() => this.client.runs.get(id));
    if (this.#arriving === arriving) this.#arriving = null;
    if (!detail || request !== this.#watchRequest) return;
    this.watched = detail;
    this.watchedEvents = mergeWatchedEvents(detail.events, arriving.events);
    this.#upsert(detail);
  }

  async compare(): Promise<void> {
    // Older run first, so the diff reads as what changed since then.
    const [a, b] = [...this.compareIds].sort((x, y) => (this.run(x)?.createdAt ?? x).localeCompare(this.run(y)?.createdAt ?? y));
    if (!a || !b) return this.notices.show('Tick two runs to compare.', 'warning');
    const comparison = await this.notices.guard(() => this.client.runs.compare(a, b));
    if (comparison) this.comparison = comparison;
  }

  toggleCompare(id: string): void {
    this.compareIds = this.compareIds.includes(id) ? this.compareIds.filter((x) => x !== id) : [...this.compareIds, id].slice(-2);
  }

  async startLearningCurve(fractions?: number[]): Promise<void> {
    const { preset, epochs, overrides } = this.options;
    const record = await this.notices.guard(() => this.client.runs.startLearningCurve({ preset, epochs, overrides, fractions }));
    if (record) {
      this.#upsertCurve(record);
      this.notices.show(`Learning curve started: ${record.fractions.map((f) => `${Math.round(f * 100)} %`).join(', ')} of the train split, one run after another.`);
    }
  }

  #onRunEvent(runId: string, event: TrainerEvent, summary: RunSummary): void {
    this.#upsert(summary);
    if (event.type === 'progress') this.progress = { ...this.progress, [runId]: event };
    if (this.#arriving?.id === runId) this.#arriving.events.push(event);
    if (this.watched?.id !== runId) return;
    this.watched = { ...this.watched, ...summary };
    this.watchedEvents = [...this.watchedEvents, event];
    // A run's one terminal event comes once its trainer has exited: report.json is on disk by then.
    if (event.type === 'done' || event.type === 'failed') void this.watch(runId);
  }

  #upsert(summary: RunSummary): void {
    const at = this.runs.findIndex((r) => r.id === summary.id);
    const slim: RunSummary = { ...summary };
    for (const key of ['events', 'report', 'config', 'runDir'] as const) delete (slim as unknown as Record<string, unknown>)[key];
    this.runs = at >= 0 ? this.runs.map((r, i) => (i === at ? slim : r)) : [slim, ...this.runs];
  }

  #upsertCurve(record: LearningCurveRecord): void {
    const at = this.curves.findIndex((c) => c.id === record.id);
    this.curves = at >= 0 ? this.curves.map((c, i) => (i === at ? record : c)) : [record, ...this.curves];
  }
}

/** `overrides` with solver.budgetMinutes set (the trainer plans the run's length from it). */
export function withBudget(overrides: Record<string, unknown> | undefined, minutes: number): Record<string, unknown> {
  const solver = (overrides?.solver ?? {}) as Record<string, unknown>;
  return { ...(overrides ?? {}), solver: { ...solver, budgetMinutes: minutes } };
}
