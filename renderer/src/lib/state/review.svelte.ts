// The review screen: a run's predictions over the project's images, errors first, and one key per
// decision (accept, reject, edit, undo). Predictions are made by the trainer process (review.predict);
// this keeps the list, the open image, the selected prediction and the stack of decisions to undo.
import type {
  Annotation,
  ImportProgress,
  ReviewImage,
  ReviewPrediction,
  ReviewTarget,
  Split,
  Unsubscribe,
} from '../../../../electron/api.ts';
import { errorMessage } from '../api/errors.ts';
import { imagesFor, predictionsFor, showCounts, type ReviewShow } from '../review/show-filter.ts';
import type { Notices } from './notices.svelte.ts';
import type { ProjectState } from './project.svelte.ts';
import type { Route } from './route.ts';
import type { RunsState } from './runs.svelte.ts';
import { plural } from '../../../../trainer/common/plural.ts';

export type Correction = { className: string; accepted: number; rejected: number; pending: number };

/** What the review screen calls back into the app for. */
export interface ReviewHost {
  notices: Notices;
  navigate(route: Route): void;
  /** The open project's runs (the review picks the latest finished one). */
  runs: RunsState;
  /** Opens an accepted prediction's label in the annotator for fixing its outline. */
  editInAnnotator(imageId: number, annotationId: number): Promise<void>;
}

export class ReviewState {
  readonly project: ProjectState;
  readonly notices: Notices;
  readonly #host: ReviewHost;
  runId = $state<string | null>(null);
  split = $state<Split | undefined>(undefined);
  classId = $state<number | undefined>(undefined);
  minScore = $state(0.5);
  /** Which predictions to show: by decision (rejected ones only under 'rejected'). */
  show = $state<ReviewShow>('open');
  /** Every image with predictions under the split / class / score filters; `shown` is what `show` keeps. */
  images = $state.raw<ReviewImage[]>([]);
  imageId = $state<number | null>(null);
  predictions = $state.raw<ReviewPrediction[]>([]);
  missed = $state.raw<Annotation[]>([]);
  labels = $state.raw<Annotation[]>([]);
  selectedId = $state<number | null>(null);
  showLabels = $state(true);
  corrections = $state.raw<Correction[]>([]);
  predicting = $state(false);
  progress = $state.raw<ImportProgress | null>(null);
  /** Decided prediction ids, latest last: U takes back the latest. */
  #decisions: number[] = [];
  #imageRequest = 0;
  readonly #unsubscribe: Unsubscribe[] = [];

  readonly selected: ReviewPrediction | null = $derived(this.predictions.find((p) => p.id === this.selectedId) ?? null);
  readonly currentImage: ReviewImage | null = $derived(this.images.find((i) => i.imageId === this.imageId) ?? null);
  readonly shown: ReviewImage[] = $derived(imagesFor(this.images, this.show));
  readonly showCounts: Record<ReviewShow, number> = $derived(showCounts(this.images));

  constructor(project: ProjectState, host: ReviewHost) {
    this.project = project;
    this.notices = host.notices;
    this.#host = host;
    this.#unsubscribe.push(project.client.on('importProgress', (p) => {
      if (p.job === 'predict') this.progress = p;
    }));
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
  }

  get client() {
    return this.project.client;
  }

  /** The review screen opened (for `runId`, or the latest finished run). */
  async enter(runId: string | null): Promise<void> {
    const runs = this.#host.runs;
    await runs.refresh();
    const chosen = runId ?? this.runId ?? runs.runs.find((r) => r.status === 'done')?.id ?? null;
    if (chosen !== this.runId) {
      this.runId = chosen;
      this.imageId = null;
      this.#decisions = [];
    }
    await this.refresh();
  }

  chooseRun(runId: string): void {
    this.#host.navigate({ screen: 'review', runId });
  }

  async predict(target: ReviewTarget): Promise<void> {
    const runId = this.runId;
    if (!runId || this.predicting) return;
    this.predicting = true;
    this.progress = null;
    try {
      const result = await this.client.review.predict(runId, target);
      this.notices.show(`${plural(result.predictions, 'prediction')} on ${plural(result.images, 'image')}.`);
      if (target.split) this.split = target.split;
      else if (target.unlabelled) this.split = undefined;
      await this.refresh();
    } catch (err) {
      this.notices.show(`Prediction failed: ${errorMessage(err)}`, 'error');
    } finally {
      this.predicting = false;
      this.progress = null;
    }
  }

  setFilter(filter: { split?: Split | undefined; classId?: number | undefined; minScore?: number; show?: ReviewShow }): void {
    if (filter.show !== undefined) this.show = filter.show;
    if ('split' in filter) this.split = filter.split;
    if ('classId' in filter) this.classId = filter.classId;
    if (filter.minScore !== undefined) this.minScore = filter.minScore;
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const runId = this.runId;
    if (!runId) {
      this.images = [];
      return;
    }
    const [images, corrections] = await Promise.all([
      this.notices.guard(() => this.client.review.images(runId, { split: this.split, classId: this.classId, minScore: this.minScore, sort: 'errors' })),
      this.notices.guard(() => this.client.review.corrections(runId)),
    ]);
    if (runId !== this.runId) return;
    if (images) this.images = images;
    if (corrections) this.corrections = corrections;
    const keep = this.shown.some((i) => i.imageId === this.imageId);
    if (keep) await this.#loadImage(this.imageId!, false);
    else if (this.shown.length > 0) await this.open(this.shown[0].imageId);
    else this.#clearImage();
  }

  async open(imageId: number): Promise<void> {
    this.imageId = imageId;
    this.selectedId = null;
    await this.#loadImage(imageId, true);
  }

  #clearImage(): void {
    this.imageId = null;
    this.predictions = [];
    this.missed = [];
    this.labels = [];
    this.selectedId = null;
  }

  async #loadImage(imageId: number, selectFirst: boolean): Promise<void> {
    const runId = this.runId;
    if (!runId) return;
    const request = ++this.#imageRequest;
    const [result, labels] = await Promise.all([
      this.notices.guard(() => this.client.review.image(runId, imageId, this.minScore)),
      this.notices.guard(() => this.client.annotations.list(imageId)),
    ]);
    if (request !== this.#imageRequest || !result) return;
    const classId = this.classId;
    const shown = predictionsFor(result, this.show);
    this.predictions = classId === undefined ? shown : shown.filter((p) => p.classId === classId);
    this.missed = result.missed;
    this.labels = labels ?? [];
    if (selectFirst || !this.predictions.some((p) => p.id === this.selectedId)) {
      // Under 'accepted' / 'rejected' nothing is pending: the first one is selected, ready to restore.
      const decidedView = this.show === 'accepted' || this.show === 'rejected';
      this.selectedId = this.predictions.find((p) => p.status === 'pending')?.id ?? (decidedView ? this.predictions[0]?.id : undefined) ?? null;
    }
  }

  /** Tab: the next prediction on this image (pending or decided), wrapping around. */
  cycle(delta: 1 | -1): void {
    const list = this.predictions;
    if (list.length === 0) return;
    const at = list.findIndex((p) => p.id === this.selectedId);
    this.selectedId = list[(at + delta + list.length) % list.length].id;
  }

  step(delta: 1 | -1): void {
    const at = this.shown.findIndex((i) => i.imageId === this.imageId);
    const next = this.shown[at + delta];
    if (next) void this.open(next.imageId);
    else this.notices.show(delta > 0 ? 'This is the last image.' : 'This is the first image.');
  }

  toggleLabels(): void {
    this.showLabels = !this.showLabels;
  }

  // ---------- decisions ----------

  async accept(): Promise<void> {
    const p = this.#pendingSelected('accept');
    if (!p) return;
    if (await this.notices.guard(() => this.client.review.accept(p.id))) await this.#decided(p.id);
  }

  async reject(): Promise<void> {
    const p = this.#pendingSelected('reject');
    if (!p) return;
    if ((await this.notices.guard(async () => (await this.client.review.reject(p.id), true))) === true) await this.#decided(p.id);
  }

  /** Accepts the prediction's shape as a label and opens it in the annotator to fix its outline. */
  async edit(): Promise<void> {
    const p = this.#pendingSelected('edit');
    if (!p) return;
    const annotation = await this.notices.guard(() => this.client.review.accept(p.id));
    if (!annotation) return;
    this.#decisions.push(p.id);
    await this.#host.editInAnnotator(annotation.imageId, annotation.id);
  }

  /** Takes back the selected prediction's decision (a rejected one found under 'rejected', an accepted one). */
  async restore(): Promise<void> {
    const p = this.selected;
    if (!p || p.status === 'pending') return this.notices.show('Select an accepted or rejected prediction to restore.', 'warning');
    if ((await this.notices.guard(async () => (await this.client.review.reset(p.id), true))) !== true) return;
    this.#decisions = this.#decisions.filter((id) => id !== p.id);
    this.notices.show(`Restored: ${p.className} ${(p.score * 100).toFixed(0)}% is to decide again.`);
    await this.refresh();
  }

  async undo(): Promise<void> {
    const id = this.#decisions.pop();
    if (id === undefined) return this.notices.show('No decision to undo.');
    if ((await this.notices.guard(async () => (await this.client.review.reset(id), true))) !== true) return;
    await this.refresh();
    if (this.predictions.some((p) => p.id === id)) this.selectedId = id;
  }

  #pendingSelected(action: string): ReviewPrediction | null {
    const p = this.selected;
    if (!p) {
      this.notices.show(`Select a prediction to ${action} (Tab or click).`, 'warning');
      return null;
    }
    if (p.status !== 'pending') {
      this.notices.show(`This prediction is already ${p.status}; U undoes the last decision.`, 'warning');
      return null;
    }
    return p;
  }

  /** After a decision: the next pending prediction here, else the first one on the next image. */
  async #decided(id: number): Promise<void> {
    this.#decisions.push(id);
    const order = this.predictions.map((p) => p.id);
    const after = order.indexOf(id);
    await this.refresh();
    const pending = this.predictions.filter((p) => p.status === 'pending');
    const next = pending.find((p) => order.indexOf(p.id) > after) ?? pending[0];
    if (next) {
      this.selectedId = next.id;
      return;
    }
    const nextImage = this.shown.find((i) => i.pending > 0 && i.imageId !== this.imageId);
    if (nextImage) await this.open(nextImage.imageId);
    else this.selectedId = null;
  }
}
