// What the project screen shows: images (filtered), classes, stats, splits, and import/export jobs.
import type {
  AnnotationOutline,
  CocoExportSummary,
  CocoImportReport,
  DatasetStats,
  ImageDeleteSummary,
  ImageImportReport,
  ImageListQuery,
  ImageStatus,
  ImageSummary,
  ImportProgress,
  LabelClass,
  ProjectInfo,
  ProjectOverviewRequest,
  Split,
  SplitAssignOptions,
  SplitPlan,
  SplitRatios,
  SplitState,
  Unsubscribe,
  WorkbenchClient,
  DatasetImportFormat,
  DatasetImportOptions,
  DatasetExportRequest,
  DatasetExportResult,
} from '../../../../electron/api.ts';
import { errorMessage } from '../api/errors.ts';
import { uploadAndImport, type UploadAs, type UploadItem } from '../api/uploads.ts';
import { plural } from '../../../../trainer/common/plural.ts';
import type { Notices } from './notices.svelte.ts';

export class ProjectState {
  readonly info: ProjectInfo;
  images = $state.raw<ImageSummary[]>([]);
  imagesLoaded = $state(false);
  filter = $state<ImageListQuery>({});
  classes = $state.raw<LabelClass[]>([]);
  stats = $state.raw<DatasetStats | null>(null);
  splits = $state.raw<SplitState | null>(null);
  progress = $state.raw<ImportProgress | null>(null);
  busy = $state<string | null>(null);
  imageReport = $state.raw<ImageImportReport | null>(null);
  cocoReport = $state.raw<CocoImportReport | null>(null);
  exportSummary = $state.raw<CocoExportSummary | null>(null);

  readonly client: WorkbenchClient;
  readonly notices: Notices;
  readonly #unsubscribe: Unsubscribe[] = [];
  #imagesRequest = 0;

  constructor(info: ProjectInfo, client: WorkbenchClient, notices: Notices) {
    this.info = info;
    this.client = client;
    this.notices = notices;
    this.#unsubscribe.push(
      client.on('importProgress', (p) => (this.progress = p)),
      client.on('projectChanged', ({ what }) => this.#changed(what)),
    );
  }

  #pendingChanges = new Set<string>();
  #changeTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * Every saved edit announces a change; a burst of them (annotating fast) is refreshed once, with one
   * call that reads every part the changes touched.
   */
  #changed(what: string): void {
    this.#pendingChanges.add(what);
    this.#changeTimer ??= setTimeout(() => {
      const changes = this.#pendingChanges;
      this.#pendingChanges = new Set();
      this.#changeTimer = null;
      const any = (...names: string[]) => names.some((n) => changes.has(n));
      void this.#refresh({
        images: any('images', 'annotations', 'project'),
        classes: any('classes', 'annotations', 'project'),
        splits: any('splits', 'images', 'project'),
        stats: any('images', 'annotations', 'classes', 'splits', 'project'),
      });
    }, 400);
  }

  dispose(): void {
    for (const off of this.#unsubscribe) off();
    if (this.#changeTimer) clearTimeout(this.#changeTimer);
  }

  classById(id: number): LabelClass | undefined {
    return this.classes.find((c) => c.id === id);
  }

  async refreshAll(): Promise<void> {
    await this.#refresh({ images: true, classes: true, stats: true, splits: true });
  }

  /** Label outlines per image id, for the grid's overlays (loaded with the image list). */
  outlines = $state.raw<Record<number, AnnotationOutline[]>>({});

  async refreshImages(): Promise<void> {
    await this.#refresh({ images: true });
  }

  async refreshClasses(): Promise<void> {
    await this.#refresh({ classes: true });
  }

  async refreshStats(): Promise<void> {
    await this.#refresh({ stats: true });
  }

  async refreshSplits(): Promise<void> {
    await this.#refresh({ splits: true });
  }

  /** Reads the chosen parts in one call (projects.overview); a newer image request wins over an older one. */
  async #refresh(parts: { images?: boolean; classes?: boolean; stats?: boolean; splits?: boolean }): Promise<void> {
    if (!parts.images && !parts.classes && !parts.stats && !parts.splits) return;
    const request: ProjectOverviewRequest = { classes: parts.classes, stats: parts.stats, splits: parts.splits };
    if (parts.images) {
      const query: ImageListQuery = {};
      if (this.filter.split) query.split = this.filter.split;
      if (this.filter.status) query.status = this.filter.status;
      if (this.filter.classId !== undefined) query.classId = this.filter.classId;
      request.images = query;
    }
    const imagesRequest = parts.images ? ++this.#imagesRequest : 0;
    const overview = await this.notices.guard(() => this.client.projects.overview(request));
    if (!overview) return;
    if (overview.images && imagesRequest === this.#imagesRequest) {
      this.images = overview.images;
      this.imagesLoaded = true;
      this.outlines = overview.outlines ?? {};
    }
    if (overview.classes) this.classes = overview.classes.slice().sort((a, b) => a.order - b.order);
    if (overview.stats) this.stats = overview.stats;
    if (overview.splits) this.splits = overview.splits;
  }

  setFilter(filter: ImageListQuery): void {
    this.filter = filter;
    void this.refreshImages();
  }

  /** Replaces one image's summary in place (status change, new annotation count). */
  updateImage(image: ImageSummary): void {
    this.images = this.images.map((i) => (i.id === image.id ? image : i));
  }

  async setStatus(imageId: number, status: ImageStatus): Promise<void> {
    const image = await this.notices.guard(() => this.client.images.setStatus(imageId, status));
    if (image) this.updateImage(image);
  }

  // ---------- import / export ----------

  async importImages(paths: string[]): Promise<void> {
    if (paths.length === 0) return this.notices.show('Enter at least one image file or folder path.', 'warning');
    await this.#job('Importing images', async () => {
      this.imageReport = await this.client.images.import(paths);
      this.cocoReport = null;
    });
  }

  async importCoco(path: string, split: Split | undefined): Promise<void> {
    if (!path) return this.notices.show('Enter the path of a COCO JSON file or export folder.', 'warning');
    await this.#job('Importing COCO', async () => {
      this.cocoReport = await this.client.coco.import(path, split ? { split } : undefined);
      this.imageReport = null;
    });
  }

  /** What the import panel says it found in a dataset folder (format and layout), or why nothing. */
  detected = $state.raw<{ path: string; format?: DatasetImportFormat; found: string } | null>(null);

  async detectDataset(path: string): Promise<void> {
    if (!path) return;
    try {
      const d = await this.client.coco.detect(path);
      this.detected = { path, format: d.format, found: d.found };
    } catch (err) {
      this.detected = { path, found: (err as Error).message };
    }
  }

  async importDataset(path: string, options: DatasetImportOptions): Promise<void> {
    if (!path) return this.notices.show('Enter the path of a dataset folder or COCO JSON file.', 'warning');
    await this.#job(`Importing ${options.format ?? this.detected?.format ?? 'dataset'}`, async () => {
      this.cocoReport = await this.client.coco.importDataset(path, options);
      this.imageReport = null;
    });
  }

  /**
   * Browser mode: uploads picked or dropped files and imports them as a folder; files the server refused
   * join the report's failures, as a bad file in a folder import does.
   */
  async importUpload(items: UploadItem[], as: UploadAs, options: DatasetImportOptions = {}): Promise<void> {
    if (items.length === 0) return this.notices.show('Choose or drop at least one file.', 'warning');
    await this.#job(`Uploading ${plural(items.length, 'file')}`, async () => {
      const result = await uploadAndImport(
        items,
        as,
        options,
        (p) => (this.progress = { job: 'upload', done: p.done, total: p.total, current: p.current }),
        () => {
          this.busy = 'Importing the upload';
          this.progress = null;
        },
      );
      if (result.as === 'images') {
        this.imageReport = { ...result.report, failed: [...result.refused, ...result.report.failed] };
        this.cocoReport = null;
      } else {
        this.cocoReport = { ...result.report, failedImages: [...result.refused, ...result.report.failedImages] };
        this.imageReport = null;
      }
    });
  }

  datasetExport = $state.raw<DatasetExportResult | null>(null);

  async exportDataset(path: string, request: DatasetExportRequest): Promise<void> {
    if (!path) return this.notices.show('Enter the folder to export into.', 'warning');
    await this.#job(`Exporting ${request.format}`, async () => {
      this.datasetExport = await this.client.coco.exportDataset(path, request);
      this.exportSummary = null;
      this.notices.show(`Exported ${plural(this.datasetExport.annotations, 'annotation')} of ${plural(this.datasetExport.images, 'image')} to ${this.datasetExport.path}`);
    });
  }

  async exportCoco(path: string, split: Split | undefined): Promise<void> {
    if (!path) return this.notices.show('Enter the path of the COCO JSON file to write.', 'warning');
    await this.#job('Exporting COCO', async () => {
      this.exportSummary = await this.client.coco.export(path, split ? { split } : undefined);
      this.datasetExport = null;
      this.notices.show(`Exported ${plural(this.exportSummary.annotations, 'annotation')} of ${plural(this.exportSummary.images, 'image')} to ${this.exportSummary.path}`);
    });
  }

  // ---------- splits ----------

  /** A proposed assignment waiting for the user's confirm: its counts before and after. */
  splitPlan = $state.raw<{ plan: SplitPlan; ratios: SplitRatios; seed: number; options: SplitAssignOptions } | null>(null);

  async previewSplits(ratios: SplitRatios, seed: number, options: SplitAssignOptions = {}): Promise<void> {
    await this.#job('Planning splits', async () => {
      this.splitPlan = { plan: await this.client.splits.preview(ratios, seed, options), ratios, seed, options };
    });
  }

  cancelSplitPlan(): void {
    this.splitPlan = null;
  }

  async confirmSplitPlan(): Promise<void> {
    const pending = this.splitPlan;
    if (!pending) return;
    this.splitPlan = null;
    await this.#job('Assigning splits', async () => {
      this.splits = await this.client.splits.assign(pending.ratios, pending.seed, pending.options);
      this.notices.show(`Splits assigned: ${plural(pending.plan.moved, 'image')} moved. Undo is in the Splits panel.`);
    });
  }

  async undoSplits(): Promise<void> {
    await this.#job('Undoing the split change', async () => {
      this.splits = await this.client.splits.undo();
    });
  }

  async setStatusOf(imageIds: number[], status: ImageStatus): Promise<void> {
    if (imageIds.length === 0) return;
    await this.#job('Setting status', async () => {
      for (const id of imageIds) await this.client.images.setStatus(id, status);
    });
  }

  /** Images waiting for the user's confirm to be deleted, with what goes with them. */
  pendingDelete = $state.raw<{ ids: number[]; summary: ImageDeleteSummary } | null>(null);

  async askDelete(imageIds: number[]): Promise<void> {
    if (imageIds.length === 0) return;
    const summary = await this.notices.guard(() => this.client.images.deleteSummary(imageIds));
    if (summary) this.pendingDelete = { ids: imageIds, summary };
  }

  cancelDelete(): void {
    this.pendingDelete = null;
  }

  async confirmDelete(): Promise<void> {
    const pending = this.pendingDelete;
    if (!pending) return;
    this.pendingDelete = null;
    await this.#job('Deleting images', async () => {
      const done = await this.client.images.delete(pending.ids);
      this.notices.show(`Deleted ${plural(done.images, 'image')}.`);
    });
  }

  async setSplitOf(imageIds: number[], split: Split): Promise<void> {
    if (imageIds.length === 0) return;
    await this.#job('Moving images', async () => {
      this.splits = await this.client.splits.set(imageIds, split);
    });
  }

  async setFrozen(frozen: boolean): Promise<void> {
    const splits = await this.notices.guard(() => this.client.splits.setFrozen(frozen));
    if (splits) this.splits = splits;
  }

  // ---------- classes ----------

  async createClass(name: string, color?: string): Promise<LabelClass | null> {
    const trimmed = name.trim();
    if (!trimmed) {
      this.notices.show('A class needs a name.', 'warning');
      return null;
    }
    const created = await this.notices.guard(() => this.client.classes.create(trimmed, color));
    await this.refreshClasses();
    return created;
  }

  async updateClass(id: number, patch: { name?: string; color?: string }): Promise<void> {
    await this.notices.guard(() => this.client.classes.update(id, patch));
    await this.refreshClasses();
  }

  async mergeClass(fromId: number, intoId: number): Promise<void> {
    await this.notices.guard(() => this.client.classes.merge(fromId, intoId));
    await this.#refresh({ classes: true, stats: true });
  }

  async deleteClass(id: number, reassignTo: number | null): Promise<void> {
    await this.notices.guard(() => this.client.classes.delete(id, reassignTo));
    await this.#refresh({ classes: true, stats: true, images: true });
  }

  async #job(label: string, work: () => Promise<void>): Promise<void> {
    if (this.busy) return this.notices.show(`Please wait: ${this.busy.toLowerCase()} is still running.`, 'warning');
    this.busy = label;
    this.progress = null;
    try {
      await work();
    } catch (err) {
      this.notices.show(`${label} failed: ${errorMessage(err)}`, 'error');
    } finally {
      this.busy = null;
      this.progress = null;
    }
    await this.refreshAll();
  }
}
