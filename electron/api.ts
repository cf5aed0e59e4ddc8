// The WorkbenchApi: the one contract between the renderer and everything behind it.
// Electron serves it over IPC (electron/main + electron/preload), the browser mode over HTTP + WebSocket
// (electron/web). Both map the same method names onto the same services (electron/services).
// Types only, apart from API_METHODS / API_EVENTS, the list of names the transports are allowed to carry.
import type { DatasetCheck } from '../trainer/advice/dataset_check.ts';
import type { RunReport } from '../trainer/advice/report.ts';
import type { EstimateResult, TrainerEvent } from '../trainer/protocol.ts';
import type { Rle } from '../trainer/common/coco.ts';
import type { PresetName } from '../trainer/common/config.ts';
import type { Split } from '../trainer/common/splits.ts';

export type { DatasetCheck, PresetName, RunReport, Split, TrainerEvent };

// ---------- geometry (image pixel coordinates, origin top-left, as in COCO) ----------

/** COCO RLE (trainer/common/coco.ts): `counts` is the compressed string form; column-major runs. */
export type { Rle };

export type Geometry =
  | { kind: 'box'; bbox: [x: number, y: number, w: number, h: number] }
  /** One or more rings, each a flat [x0, y0, x1, y1, ...] list (COCO's polygon format). */
  | { kind: 'polygon'; rings: number[][] }
  | { kind: 'mask'; rle: Rle };

export type AnnotationSource = 'manual' | 'import' | 'prediction';

export interface Annotation {
  id: number;
  imageId: number;
  classId: number;
  geometry: Geometry;
  /** Tight box around the geometry, [x, y, w, h]. Derived by the store; never trusted from the client. */
  bbox: [number, number, number, number];
  /** True pixel area of the geometry (polygon area, mask pixels, box w*h). Derived by the store. */
  area: number;
  iscrowd: boolean;
  source: AnnotationSource;
  /** Model score when source is 'prediction' and the user accepted it. */
  score: number | null;
  updatedAt: string;
}

/** What a client sends to create or change an annotation; bbox/area are computed server-side. */
export interface AnnotationDraft {
  classId: number;
  geometry: Geometry;
  iscrowd?: boolean;
  source?: AnnotationSource;
  score?: number | null;
}

/** One edit = one list of operations = one SQLite transaction. Undo sends the inverse list. */
export type AnnotationOp =
  | {
      op: 'create';
      draft: AnnotationDraft;
      /** restore a deleted annotation under its old id (undo) */
      id?: number;
      /** the caller's name for the new shape (e.g. its provisional id); `created` in the result maps it to the stored id */
      ref?: number;
    }
  | { op: 'update'; id: number; patch: Partial<AnnotationDraft> }
  | { op: 'delete'; id: number };

// ---------- projects ----------

export interface ProjectInfo {
  /** Absolute folder of the project on the machine running the services. */
  dir: string;
  name: string;
  createdAt: string;
  schemaVersion: number;
}

export interface ProjectsApi {
  create(dir: string, name?: string): Promise<ProjectInfo>;
  open(dir: string): Promise<ProjectInfo>;
  /** Creates (or reopens) a demo project in the user's data folder from the sample data in resources/. */
  openDemo(): Promise<ProjectInfo>;
  current(): Promise<ProjectInfo | null>;
  close(): Promise<void>;
  recent(): Promise<string[]>;
  /** What the project screen shows, the parts asked for, read in one call (one refresh per projectChanged). */
  overview(request: ProjectOverviewRequest): Promise<ProjectOverview>;
}

export interface ProjectOverviewRequest {
  /** The image list under this filter, with the outlines of its labelled images. */
  images?: ImageListQuery;
  classes?: boolean;
  stats?: boolean;
  splits?: boolean;
}

/** The parts a ProjectOverviewRequest asked for; the others are absent. */
export interface ProjectOverview {
  images?: ImageSummary[];
  outlines?: Record<number, AnnotationOutline[]>;
  classes?: LabelClass[];
  stats?: DatasetStats;
  splits?: SplitState;
}

// ---------- images ----------

export type ImageStatus = 'unlabelled' | 'in_progress' | 'done' | 'skipped';

export interface ImageSummary {
  id: number;
  fileName: string;
  width: number;
  height: number;
  split: Split;
  status: ImageStatus;
  /** How the image came to its split ('import': kept from the import's folders). */
  splitOrigin: SplitOrigin;
  annotationCount: number;
  /** sha256 of the stored bytes (content address). */
  hash: string;
}

export interface ImportProblem {
  path: string;
  reason: string;
}

export interface ImageImportReport {
  imported: ImageSummary[];
  /** Files whose bytes were already in the project: not imported again. */
  alreadyPresent: { path: string; imageId: number }[];
  failed: ImportProblem[];
}

export interface ImportProgress {
  /** Which job this belongs to, e.g. 'images' or 'coco'. */
  job: string;
  done: number;
  total: number;
  current?: string;
}

export interface ImageListQuery {
  split?: Split;
  status?: ImageStatus;
  classId?: number;
}

export interface ImagesApi {
  /** Files or folders (recursive). Bad files are reported one by one; the rest import. */
  import(paths: string[]): Promise<ImageImportReport>;
  list(query?: ImageListQuery): Promise<ImageSummary[]>;
  get(id: number): Promise<ImageSummary>;
  setStatus(id: number, status: ImageStatus): Promise<ImageSummary>;
  /** What `delete` would remove. */
  deleteSummary(ids: number[]): Promise<ImageDeleteSummary>;
  /** Deletes images with their labels and predictions; runs keep their frozen snapshots. Refused while splits are frozen. */
  delete(ids: number[]): Promise<ImageDeleteSummary>;
}

export interface ImageDeleteSummary {
  images: number;
  annotations: number;
  predictions: number;
  /** Runs whose frozen snapshots keep these images (their bytes stay in the store). */
  runsKeepSnapshots: number;
}

// ---------- annotations ----------

/** What one annotations.apply did. */
export interface AnnotationsApplied {
  /** The stored id of every create op that carried a `ref`, in op order. */
  created: { ref: number; id: number }[];
  /** The created and updated annotations as stored (bbox, area and timestamps are the store's), by id. */
  annotations: Annotation[];
  /** The image after the edit: its status (the store moves unlabelled ⇄ in progress) and annotation count. */
  image: ImageSummary;
}

export interface AnnotationsApi {
  list(imageId: number): Promise<Annotation[]>;
  /** Applies the operations in one transaction and returns what changed (see AnnotationsApplied). */
  apply(imageId: number, ops: AnnotationOp[]): Promise<AnnotationsApplied>;
  /** Light outlines per image for the grid (polygons thinned; boxes and masks as their box). */
  outlines(imageIds: number[]): Promise<Record<number, AnnotationOutline[]>>;
}

export interface AnnotationOutline {
  classId: number;
  /** Closed rings [x0, y0, x1, y1, …] in image pixels. */
  rings: number[][];
}

// ---------- classes ----------

export interface LabelClass {
  id: number;
  name: string;
  /** #rrggbb */
  color: string;
  /** Position in the class list; keys 1–9 pick by this order. */
  order: number;
  instanceCount: number;
  imageCount: number;
}

export interface ClassesApi {
  list(): Promise<LabelClass[]>;
  create(name: string, color?: string): Promise<LabelClass>;
  update(id: number, patch: { name?: string; color?: string; order?: number }): Promise<LabelClass>;
  /** Moves every annotation of `fromId` to `intoId`, then deletes `fromId`. */
  merge(fromId: number, intoId: number): Promise<LabelClass>;
  /** Deletes a class; its annotations move to `reassignTo`, or are deleted when it is null. */
  delete(id: number, reassignTo: number | null): Promise<void>;
}

// ---------- splits ----------

export interface SplitRatios {
  train: number;
  val: number;
  test: number;
}

export interface SplitState {
  frozen: boolean;
  counts: Record<Split, number>;
  seed: number | null;
  /** Images whose split came with an import (a COCO export's train/ valid/ test/ folders). */
  fromImport: number;
  /** Whether the last assignment or hand edit can be undone. */
  undoable: boolean;
}

/** How images came to their split. */
export type SplitOrigin = 'default' | 'import' | 'assigned' | 'manual';

export interface SplitAssignOptions {
  /** Keep the splits that came with an import (default true); only the other images are assigned. */
  keepImported?: boolean;
}

/** Images that must share a split: copies of one source photo. */
export interface SplitGroup {
  fileNames: string[];
  splits: Split[];
  /** What ties them: Roboflow's `.rf.` source name, identical bytes, or a near-identical thumbnail. */
  reasons: ('source-name' | 'identical-bytes' | 'near-duplicate')[];
}

/** What an assignment would do, for a confirm before anything changes. */
export interface SplitPlan {
  before: Record<Split, number>;
  after: Record<Split, number>;
  /** Images whose split would change. */
  moved: number;
  /** Units assigned as one (a group of copies, or a single image). */
  units: number;
  /** Images that sit in a group of two or more. */
  groupedImages: number;
  keptFromImport: number;
  /** Groups spread over more than one split now, and after the assignment (0 unless imported splits straddle). */
  straddlingBefore: number;
  straddlingAfter: number;
}

export interface SplitsApi {
  get(): Promise<SplitState>;
  /** What `assign` would do, changing nothing. */
  preview(ratios: SplitRatios, seed: number, options?: SplitAssignOptions): Promise<SplitPlan>;
  /** Stratified random assignment of groups of copies (by each group's rarest class). Refused while frozen. */
  assign(ratios: SplitRatios, seed: number, options?: SplitAssignOptions): Promise<SplitState>;
  /** Puts back the splits from before the last assignment or hand edit. Refused while frozen. */
  undo(): Promise<SplitState>;
  /** Groups of copies that straddle splits (held-out images leaking into training). */
  straddling(): Promise<SplitGroup[]>;
  /** Moves images by hand. Refused while frozen. */
  set(imageIds: number[], split: Split): Promise<SplitState>;
  setFrozen(frozen: boolean): Promise<SplitState>;
}

// ---------- COCO ----------

export interface CocoImportOptions {
  /** Put every imported image in this split (overrides folder names such as val/ or valid/). */
  split?: Split;
  /** All or nothing: refuse the whole import when any item is bad (the default skips and reports bad items). */
  strict?: boolean;
}

/** One item an import left out, with where it is: the file, and the image and annotation when known. */
export interface SkippedItem {
  file: string;
  image?: string;
  annotation?: string;
  reason: string;
}

export interface DuplicateGroup {
  hash: string;
  fileNames: string[];
  splits: Split[];
}

export interface CocoImportReport {
  images: number;
  annotations: number;
  /** Class name -> annotation count, for the classes that received annotations. */
  perClass: Record<string, number>;
  categoriesSkipped: { id: number; name: string; reason: string }[];
  missingImages: ImportProblem[];
  failedImages: ImportProblem[];
  /** Image entries whose bytes are identical (kept as separate images: their labels may differ). */
  duplicates: DuplicateGroup[];
  /** Duplicate groups spread over more than one split: held-out data leaks into training. */
  duplicatesAcrossSplits: DuplicateGroup[];
  warnings: string[];
  /** Images per split that this import added. */
  splits: Record<Split, number>;
  /** Items left out (bad annotations, images, categories), each with its reason and location. */
  skipped?: SkippedItem[];
  /** Where the import wrote this report (`import-report.json` in the project). */
  reportPath?: string;
  /** The format read: coco, yolo, voc, labelme. */
  format?: string;
}

export interface CocoExportOptions {
  split?: Split;
  /** Copy the exported images into this folder and write file names relative to it. */
  imagesDir?: string;
}

export interface CocoExportSummary {
  path: string;
  images: number;
  annotations: number;
  categories: number;
}

export interface CocoApi {
  /** A COCO JSON file, or an export folder (Roboflow/CVAT layouts with train/ val/ valid/ test/ sub-folders). */
  import(path: string, options?: CocoImportOptions): Promise<CocoImportReport>;
  export(outPath: string, options?: CocoExportOptions): Promise<CocoExportSummary>;
  /** Which dataset format a folder (or .json) holds, and what was found, in one line. */
  detect(path: string): Promise<DetectedDataset>;
  /** Imports a COCO, YOLO, Pascal VOC or LabelMe dataset (format detected unless given). */
  importDataset(path: string, options?: DatasetImportOptions): Promise<CocoImportReport & { found: string }>;
  /** Exports to COCO, YOLO detect / seg, Pascal VOC, LabelMe or PNG masks in a folder. */
  exportDataset(outDir: string, options: DatasetExportRequest): Promise<DatasetExportResult>;
}

export type DatasetImportFormat = 'coco' | 'yolo' | 'voc' | 'labelme';
export type DatasetExportFormat = 'coco' | 'yolo' | 'yolo-seg' | 'voc' | 'labelme' | 'masks';

export interface DetectedDataset {
  format: DatasetImportFormat;
  found: string;
}

export interface DatasetImportOptions extends CocoImportOptions {
  format?: DatasetImportFormat;
}

export interface DatasetExportRequest {
  format: DatasetExportFormat;
  split?: Split;
  copyImages?: boolean;
}

export interface DatasetExportResult {
  format: DatasetExportFormat;
  path: string;
  images: number;
  annotations: number;
  classes: number;
  /** What the format could not hold (holes, masks, multi-part shapes), with counts. */
  notes: string[];
}

// ---------- stats ----------

export interface ClassStats {
  classId: number;
  name: string;
  instances: number;
  images: number;
  perSplit: Record<Split, number>;
}

export interface DatasetStats {
  images: number;
  labelledImages: number;
  unlabelledImages: number;
  annotations: number;
  objectsPerImage: number;
  perSplit: Record<Split, { images: number; annotations: number }>;
  classes: ClassStats[];
}

export interface StatsApi {
  get(): Promise<DatasetStats>;
}

// ---------- training runs ----------

export type RunStatus = 'running' | 'cancelled' | 'interrupted' | 'failed' | 'done';

export interface TrainOptions {
  preset: PresetName;
  /** Length in epochs over the train split; the preset's default when neither this nor `iterations` is set. */
  epochs?: number;
  /** Length in iterations (converted to epochs for the snapshot's train split). */
  iterations?: number;
  /** Any RunConfig values (nested, partial), e.g. { solver: { baseLr: 0.04 } }; validated by the trainer's config. */
  overrides?: Record<string, unknown>;
  /** Train on this stratified share of the train split (learning curves); val and test stay whole. */
  trainFraction?: number;
}

/**
 * The training scale (and what follows from it) a run of these options would be created with — the values
 * `start` writes into config.json — shown on the Train screen before Start.
 */
export interface TrainScale {
  /** The preset's dataAware switch (on: the scale and anchors are fitted to the train split's objects). */
  dataAware: boolean;
  /** Who set the training short side: the data (data-aware), you (an edit), or the preset. */
  chosenBy: 'data' | 'you' | 'preset';
  /** input.testShortSide; the training sides jitter around it. */
  shortSide: number;
  trainShortSides: number[];
  maxSize: number;
  anchorSizes: number[];
  aspectRatios: number[];
  /** The train split's objects at that scale: sqrt(area) 10th–90th percentile, and the share whose shorter side is under 8 px. */
  objects: { count: number; p10: number; p90: number; under8: number } | null;
  /** Why a run of these options could not start (the same refusal Start would give); the values are then the preset's. */
  problem: string | null;
  /** With `runs.scale(options, side)`: the config edits (dotted paths) that train at `side`, anchors refitted to it. */
  editsAt?: Record<string, unknown>;
}

export interface RunSummary {
  id: string;
  createdAt: string;
  preset: PresetName;
  status: RunStatus;
  backend: string | null;
  trainImages: number;
  valImages: number;
  annotations: number;
  /** sha256 over the snapshot's images and labels: equal hashes mean the same data. */
  snapshotHash: string;
  /** Share of the train split this run used (1 unless it is part of a learning curve). */
  trainFraction: number;
  iteration: number;
  totalIterations: number | null;
  bestBoxAp: number | null;
  bestMaskAp: number | null;
  verdict: string | null;
  error: string | null;
  finishedAt: string | null;
}

export interface RunDetail extends RunSummary {
  runDir: string;
  /** The full validated config the run used (config.json). */
  config: Record<string, unknown>;
  /** Every event in metrics.jsonl, in order (TrainerEvent from trainer/protocol.ts). */
  events: TrainerEvent[];
  /** report.json when the run has one. */
  report: Record<string, unknown> | null;
}

export interface RunComparison {
  a: RunSummary;
  b: RunSummary;
  /** Val box and mask AP per class at each run's last evaluation (null where a run has no value). */
  perClass: { name: string; a: { box: number | null; mask: number | null }; b: { box: number | null; mask: number | null } }[];
  /** What changed in the data from run a to run b. */
  diff: {
    imagesAdded: number;
    imagesRemoved: number;
    /** Images in both whose labels differ. */
    imagesRelabelled: number;
    /** Images in both that changed split. */
    imagesMoved: number;
    annotationsAdded: number;
    annotationsRemoved: number;
    /** Up to 50 examples, by file name. */
    examples: { fileName: string; change: 'added' | 'removed' | 'relabelled' | 'moved' }[];
  };
  /** Run settings that differ (dotted config keys; epochs, input scale, preset and augmentation first). */
  configDiff: { key: string; a: unknown; b: unknown }[];
}

export interface LearningCurvePointRecord {
  fraction: number;
  runId: string;
  trainImages: number;
  valAP: number | null;
  maskAP: number | null;
  status: string;
  /** 95 % bootstrap interval of valAP and the run's verdict (report.json), when known. */
  valAPInterval?: [number, number] | null;
  verdict?: string | null;
}

export interface LearningCurveRecord {
  id: string;
  createdAt: string;
  preset: string;
  fractions: number[];
  status: 'running' | 'done' | 'failed';
  points: LearningCurvePointRecord[];
  /** trainer/advice/learning_curve.ts LearningCurveResult: stillRising, gainPerDoubling, projections, message. */
  result: { stillRising: boolean | null; inconclusive?: string | null; gainPerDoubling: number | null; r2: number | null; projections: { trainImages: number; valAP: number; lo?: number | null; hi?: number | null }[]; imagesForTargetGain: number | null; message: string } | null;
  error: string | null;
}

/** A measured estimate of a run's length: a few real train steps of the chosen config on this machine
 *  (what `fieldwork-train estimate --json` prints, trainer/protocol.ts). */
export type RunEstimate = EstimateResult;

/** What the user chose on the Train screen, kept per project so a reload (or reopening) restores it. */
export interface TrainChoice {
  preset: PresetName;
  /** Run length in epochs; null = the preset's default. */
  epochs: number | null;
  /** A time budget in minutes instead of epochs; null = the length is in epochs. */
  budgetMinutes: number | null;
  /** Config values the user changed, by dotted path (e.g. 'input.testShortSide'). */
  edits: Record<string, unknown>;
}

export interface RunsApi {
  /** The dataset check for the snapshot a run would freeze now (no compute spent). */
  check(options?: Partial<TrainOptions>): Promise<DatasetCheck>;
  /** Times a short warm-up of `options` on this machine's backend (takes seconds to a minute). */
  estimate(options: TrainOptions): Promise<RunEstimate>;
  /** Freezes a snapshot into runs/<id>/ and starts the trainer process. */
  start(options: TrainOptions): Promise<RunSummary>;
  list(): Promise<RunSummary[]>;
  get(id: string): Promise<RunDetail>;
  cancel(id: string): Promise<RunSummary>;
  /** Continues a cancelled, interrupted or failed run from its last checkpoint. */
  resume(id: string): Promise<RunSummary>;
  /** Trains a stopped or finished run `minutes` more from its last checkpoint, with a new schedule tail ("train 1 h more"). */
  extend(id: string, minutes: number): Promise<RunSummary>;
  compare(a: string, b: string): Promise<RunComparison>;
  /** The training scale a run of `options` would get (data-aware unless edited); with `shortSide`, also the edits that train at it. */
  scale(options: TrainOptions, shortSide?: number): Promise<TrainScale>;
  /** The project's last Train screen choice (null: none saved yet). */
  choice(): Promise<TrainChoice | null>;
  saveChoice(choice: TrainChoice): Promise<void>;
  /** Starts 25/50/100 % runs one after another (in the background); progress arrives as runEvent. */
  startLearningCurve(options: TrainOptions & { fractions?: number[] }): Promise<LearningCurveRecord>;
  learningCurves(): Promise<LearningCurveRecord[]>;
}

// ---------- review ----------

/** Which images to run a model over: one split, given images, or every unlabelled image (pre-labelling). */
export interface ReviewTarget {
  split?: Split;
  imageIds?: number[];
  unlabelled?: boolean;
}

export interface ReviewQuery {
  split?: Split;
  classId?: number;
  /** Predictions below this score are hidden and do not count (default 0.5). */
  minScore?: number;
  /** 'errors': most FP + FN first (default); 'id': image order. */
  sort?: 'errors' | 'id';
}

export interface ReviewImage {
  imageId: number;
  fileName: string;
  split: Split;
  /** Predictions matching a label of the same class at box IoU ≥ 0.5 (or accepted). */
  tp: number;
  /** Predictions matching no label (never the unverified ones). */
  fp: number;
  /** Labels no prediction found. */
  fn: number;
  pending: number;
  errors: number;
  /** Pending predictions on an image with no ground truth (pre-labels): suggestions, neither TP nor FP. */
  unverified: number;
  accepted: number;
  /** Rejected predictions (above the score threshold): they take no part in TP / FP / FN. */
  rejected: number;
}

export interface ReviewPrediction {
  id: number;
  runId: string;
  imageId: number;
  classId: number | null;
  className: string;
  score: number;
  bbox: [number, number, number, number];
  rle: Rle | null;
  status: 'pending' | 'accepted' | 'rejected';
  annotationId: number | null;
  /**
   * 'unverified': the image has no ground truth (no label of its own and not marked done), so the prediction
   * is a suggestion to verify, not an error. A rejected prediction is 'fp' (the user's verdict) or 'unverified'.
   */
  match: 'tp' | 'fp' | 'unverified';
  iou: number | null;
}

export interface ReviewApi {
  /** Runs the run's model over the target images and stores the predictions for review. */
  predict(runId: string, target: ReviewTarget): Promise<{ images: number; predictions: number }>;
  images(runId: string, query?: ReviewQuery): Promise<ReviewImage[]>;
  /** One image's predictions (with TP/FP marks) and the labels no prediction found (FN); its rejected ones apart. */
  image(runId: string, imageId: number, minScore?: number): Promise<{ predictions: ReviewPrediction[]; missed: Annotation[]; rejected: ReviewPrediction[] }>;
  /** Makes the prediction a label (with the user's edited geometry, if given). */
  accept(predictionId: number, geometry?: Geometry): Promise<Annotation>;
  reject(predictionId: number): Promise<void>;
  /** Undoes an accept or a reject. */
  reset(predictionId: number): Promise<void>;
  corrections(runId: string): Promise<{ className: string; accepted: number; rejected: number; pending: number }[]>;
}

// ---------- events ----------

export interface WorkbenchEvents {
  importProgress: ImportProgress;
  /** Something changed the project outside the caller's view (another window, the CLI, an import). */
  projectChanged: { what: 'images' | 'annotations' | 'classes' | 'splits' | 'project' | 'runs' };
  /** A learning curve moved on (a run finished, or the curve is done). */
  learningCurve: LearningCurveRecord;
  /** Every event a training run streams, with the run's updated summary. */
  runEvent: { runId: string; event: TrainerEvent; summary: RunSummary };
}

export type Unsubscribe = () => void;

// ---------- scale-out: the same run on Detectron2 / PyTorch DDP, and the results back ----------

export interface ExportRunRequest {
  engine: 'detectron2' | 'torchvision';
  /** The folder to create (must not exist or be empty). */
  outDir: string;
  /** A run whose frozen snapshot and recipe to export; none: a new snapshot of the project. */
  runId?: string;
  /** detectron2: r50-gn | r101-gn | x152-32x8d-gn-cascade; torchvision: a Fieldwork preset (paper | cpu | tiny). */
  preset?: string;
  images?: 'copy' | 'link' | 'absolute';
  norm?: 'GN' | 'SyncBN';
}

export interface ExportRunResult {
  outDir: string;
  engine: 'detectron2' | 'torchvision';
  splits: Record<Split, { images: number; annotations: number }>;
  categories: number;
  files: string[];
}

export interface ImportRunResult {
  runId: string;
  engine: 'detectron2' | 'torchvision';
  resultsPath: string;
  results: number;
  valImages: number;
  bbox: number[];
  segm: number[];
  /** The converted checkpoint (torchvision weights): the run can predict. Null: results only. */
  checkpoint: string | null;
}

export interface InteropApi {
  /** Writes a self-contained folder for Detectron2 or torchrun (see fieldwork export-run). */
  exportRun(request: ExportRunRequest): Promise<ExportRunResult>;
  /** Brings an exported run's results (and torchvision weights) back as a run (see fieldwork import-run). */
  importRun(source: string): Promise<ImportRunResult>;
}

// ---------- the whole contract ----------

export interface WorkbenchApi {
  projects: ProjectsApi;
  images: ImagesApi;
  annotations: AnnotationsApi;
  classes: ClassesApi;
  splits: SplitsApi;
  coco: CocoApi;
  stats: StatsApi;
  runs: RunsApi;
  review: ReviewApi;
  interop: InteropApi;
}

/** What the renderer holds: the api plus events and URLs for image bytes, which each transport forms its own way. */
export interface WorkbenchClient extends WorkbenchApi {
  on<E extends keyof WorkbenchEvents>(event: E, listener: (payload: WorkbenchEvents[E]) => void): Unsubscribe;
  imageUrl(imageId: number, variant: 'full' | 'thumb'): string;
}

/**
 * Every method a transport may carry, by domain. The preload exposes exactly these as named functions,
 * the IPC handlers and the HTTP router accept exactly these; anything else is refused.
 */
export const API_METHODS = {
  projects: ['create', 'open', 'openDemo', 'current', 'close', 'recent', 'overview'],
  images: ['import', 'list', 'get', 'setStatus', 'deleteSummary', 'delete'],
  annotations: ['list', 'apply', 'outlines'],
  classes: ['list', 'create', 'update', 'merge', 'delete'],
  splits: ['get', 'preview', 'assign', 'undo', 'straddling', 'set', 'setFrozen'],
  coco: ['import', 'export', 'detect', 'importDataset', 'exportDataset'],
  stats: ['get'],
  runs: ['check', 'estimate', 'start', 'list', 'get', 'cancel', 'resume', 'extend', 'compare', 'choice', 'saveChoice', 'scale', 'startLearningCurve', 'learningCurves'],
  review: ['predict', 'images', 'image', 'accept', 'reject', 'reset', 'corrections'],
  interop: ['exportRun', 'importRun'],
} as const satisfies { [D in keyof WorkbenchApi]: readonly (keyof WorkbenchApi[D])[] };

export const API_EVENTS = ['importProgress', 'projectChanged', 'runEvent', 'learningCurve'] as const satisfies readonly (keyof WorkbenchEvents)[];

/**
 * What went wrong, as the error's class in main says (electron/services/errors.ts): `user` — bad input or a
 * refused action, the message says what to do; `config` — a run config value out of range (details: key,
 * rule, value); `not_found` — no such item or API method; `forbidden` — the caller may not call at all
 * (the browser mode's early refusals — details: check, `host` | `origin` | `token`); `internal` — a bug or an
 * I/O failure, logged in main.
 */
export const API_ERROR_KINDS = ['user', 'config', 'not_found', 'forbidden', 'internal'] as const;
export type ApiErrorKind = (typeof API_ERROR_KINDS)[number];

/** Structured facts about an error, JSON-safe; which keys depend on the kind. */
export type ApiErrorDetails = Record<string, unknown>;

/** Errors cross IPC and HTTP as this data, never as a string to parse; the UI shows the message as is. */
export interface ApiErrorPayload {
  kind: ApiErrorKind;
  message: string;
  details: ApiErrorDetails | null;
}

/** The answer to one API call over IPC (main → preload → renderer client): a value or the error as data. */
export type ApiReply<T = unknown> = { ok: true; value: T } | { ok: false; error: ApiErrorPayload };
