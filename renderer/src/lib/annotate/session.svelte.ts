// The annotation model of one image: its annotations in image pixels, the selection, and the undo
// history. The canvas is a view over this; every finished edit becomes one annotations.apply call.
import type { Annotation, AnnotationDraft, AnnotationOp, AnnotationsApplied, Geometry, ImageSummary, WorkbenchClient } from '../../../../electron/api.ts';
import { UndoStack } from './history.ts';
import { applyOpsLocally, inverseOps, opsForStore, resolveIds } from './ops.ts';
import type { SaveQueue } from './save-queue.svelte.ts';

export interface SessionHooks {
  /** After the store accepted an edit: the image's summary as the store now has it (status, annotation count). */
  saved(session: ImageSession, image: ImageSummary): void;
  /** An edit failed; the session reloaded the stored annotations. */
  failed(session: ImageSession, message: string): void;
}

export class ImageSession {
  readonly image: ImageSummary;
  annotations = $state.raw<Annotation[]>([]);
  loaded = $state(false);
  selectedId = $state<number | null>(null);
  /** A vertex picked in edit mode (Delete removes it). */
  selectedVertex = $state<{ ring: number; index: number } | null>(null);
  hideOthers = $state(false);
  #historyVersion = $state(0);

  readonly #client: WorkbenchClient;
  readonly #queue: SaveQueue;
  readonly #hooks: SessionHooks;
  #history = new UndoStack();
  /** Provisional (negative) ids of shapes created here → ids the store assigned. */
  readonly #idMap = new Map<number, number>();
  #nextProvisionalId = -1;
  #inFlight = 0;
  /** The store's versions of shapes edited while later edits were still in flight, adopted once all are answered. */
  readonly #stored = new Map<number, Annotation>();
  #loading: Promise<void> | null = null;

  constructor(image: ImageSummary, client: WorkbenchClient, queue: SaveQueue, hooks: SessionHooks) {
    this.image = image;
    this.#client = client;
    this.#queue = queue;
    this.#hooks = hooks;
  }

  /** Loads the stored annotations once; concurrent callers (open and prefetch) share the request. */
  load(): Promise<void> {
    this.#loading ??= this.#load().catch((err: unknown) => {
      this.#loading = null;
      throw err;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    await this.#queue.idle();
    this.annotations = await this.#client.annotations.list(this.image.id);
    this.loaded = true;
  }

  get selected(): Annotation | null {
    return this.annotations.find((a) => a.id === this.selectedId) ?? null;
  }

  get canUndo(): boolean {
    void this.#historyVersion;
    return this.#history.canUndo;
  }

  get canRedo(): boolean {
    void this.#historyVersion;
    return this.#history.canRedo;
  }

  select(id: number | null): void {
    this.selectedId = id;
    this.selectedVertex = null;
  }

  // ---------- edits: each is one undo step and one transaction ----------

  create(draft: AnnotationDraft, label = 'Create'): number {
    const id = this.#nextProvisionalId--;
    this.edit(label, [{ op: 'create', id, draft }]);
    this.select(id);
    return id;
  }

  createMany(drafts: AnnotationDraft[], label = 'Paste'): number[] {
    const ops: AnnotationOp[] = drafts.map((draft) => ({ op: 'create', id: this.#nextProvisionalId--, draft }));
    this.edit(label, ops);
    return ops.map((op) => (op as { id: number }).id);
  }

  setGeometry(id: number, geometry: Geometry, label = 'Edit shape'): void {
    this.edit(label, [{ op: 'update', id, patch: { geometry } }]);
  }

  setClass(id: number, classId: number): void {
    if (this.annotations.find((a) => a.id === id)?.classId === classId) return;
    this.edit('Change class', [{ op: 'update', id, patch: { classId } }]);
  }

  remove(ids: number[]): void {
    if (ids.length === 0) return;
    this.edit('Delete', ids.map((id) => ({ op: 'delete', id })));
    if (this.selectedId !== null && ids.includes(this.selectedId)) this.select(null);
  }

  /** A replacement of one shape by others (polygon ⇄ mask conversion) as one step. */
  replace(id: number, drafts: AnnotationDraft[], label: string): number[] {
    const creates: AnnotationOp[] = drafts.map((draft) => ({ op: 'create', id: this.#nextProvisionalId--, draft }));
    this.edit(label, [{ op: 'delete', id }, ...creates]);
    const ids = creates.map((op) => (op as { id: number }).id);
    this.select(ids[0] ?? null);
    return ids;
  }

  undo(): boolean {
    const entry = this.#history.undo();
    this.#historyVersion++;
    if (!entry) return false;
    this.#send(entry.inverse);
    this.#dropStaleSelection();
    return true;
  }

  redo(): boolean {
    const entry = this.#history.redo();
    this.#historyVersion++;
    if (!entry) return false;
    this.#send(entry.forward);
    this.#dropStaleSelection();
    return true;
  }

  /** Any list of operations as one undoable edit (one transaction). */
  edit(label: string, forward: AnnotationOp[]): void {
    const inverse = inverseOps(forward, this.annotations);
    this.#history.push({ label, forward, inverse });
    this.#historyVersion++;
    this.#send(forward);
  }

  #dropStaleSelection(): void {
    if (this.selectedId !== null && !this.annotations.some((a) => a.id === this.selectedId)) this.select(null);
  }

  #send(ops: AnnotationOp[]): void {
    const local = resolveIds(ops, this.#idMap);
    this.annotations = applyOpsLocally(this.annotations, local, this.image.id);
    this.#inFlight++;
    this.#queue.run(async () => {
      const forStore = opsForStore(ops, this.#idMap);
      let result: AnnotationsApplied;
      try {
        result = await this.#client.annotations.apply(this.image.id, forStore);
      } catch (err) {
        this.#inFlight--;
        await this.#recover(err);
        throw err;
      }
      this.#inFlight--;
      for (const { ref, id } of result.created) this.#idMap.set(ref, id);
      for (const op of forStore) if (op.op === 'delete') this.#stored.delete(op.id);
      for (const a of result.annotations) this.#stored.set(a.id, a);
      if (this.#inFlight === 0) this.#adoptStored();
      this.#hooks.saved(this, result.image);
    });
  }

  /**
   * Takes the store's version of what was edited (its bbox, area, ids); keeps the other objects so the
   * view keeps their nodes. In id order, as the store lists them.
   */
  #adoptStored(): void {
    const real = (id: number) => (id < 0 ? this.#idMap.get(id) ?? id : id);
    this.annotations = this.annotations.map((a) => this.#stored.get(real(a.id)) ?? a).sort((a, b) => a.id - b.id);
    this.#stored.clear();
    if (this.selectedId !== null && this.selectedId < 0) this.selectedId = this.#idMap.get(this.selectedId) ?? null;
  }

  async #recover(err: unknown): Promise<void> {
    this.#history = new UndoStack();
    this.#historyVersion++;
    this.#stored.clear();
    try {
      const list = await this.#client.annotations.list(this.image.id);
      if (this.#inFlight === 0) this.annotations = list;
    } catch {
      // The store is unreachable; the error indicator already tells the user.
    }
    this.#dropStaleSelection();
    this.#hooks.failed(this, err instanceof Error ? err.message : String(err));
  }

  /** The store id for an id the view holds (provisional ids resolve once saved). */
  storedId(id: number): number | null {
    if (id >= 0) return id;
    return this.#idMap.get(id) ?? null;
  }
}
