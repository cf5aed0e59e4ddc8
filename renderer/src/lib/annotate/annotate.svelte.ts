// The annotation screen's state: the open image's session, tool, active class, brush size and the
// clipboard. Sessions are kept per image for the whole visit, so undo history survives D/F navigation.
import type { AnnotationDraft, ImageSummary, LabelClass } from '../../../../electron/api.ts';
import { rleFromBbox, rleFromPolygons, rleToMask } from '../../../../trainer/common/rle.ts';
import { errorMessage } from '../api/errors.ts';
import type { Notices } from '../state/notices.svelte.ts';
import type { ProjectState } from '../state/project.svelte.ts';
import type { Route } from '../state/route.ts';
import { traceContours } from '../../../../trainer/common/geometry/mask.ts';
import { signedArea, roundRing } from '../../../../trainer/common/geometry/polygon.ts';
import { PhotoCache } from './canvas/photo-cache.ts';
import { draftOf } from './ops.ts';
import { SaveQueue } from './save-queue.svelte.ts';
import { ImageSession } from './session.svelte.ts';
import { Shortcuts } from './shortcuts.svelte.ts';
import { positionIn, stepIn } from './nav-list.ts';
import { plural, pluralWord } from '../../../../trainer/common/plural.ts';

export type Tool = 'select' | 'box' | 'polygon' | 'brush' | 'eraser';

export const CLASS_COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4', '#469990'];

/** What the annotation screen calls back into the app for. */
export interface AnnotateHost {
  notices: Notices;
  navigate(route: Route): void;
}

export class AnnotateState {
  readonly project: ProjectState;
  readonly notices: Notices;
  readonly navigate: (route: Route) => void;
  readonly queue = new SaveQueue();
  readonly shortcuts = new Shortcuts();
  readonly photos: PhotoCache;
  session = $state.raw<ImageSession | null>(null);
  loading = $state(false);
  tool = $state<Tool>('select');
  #classId = $state<number | null>(null);
  brushRadius = $state(12);
  /** Current zoom (screen px per image px), written by the canvas. */
  zoom = $state(1);
  helpOpen = $state(false);
  /** The ids D/F walk, fixed when an image is opened from the grid (see nav-list.ts). */
  navIds = $state.raw<number[]>([]);
  /** Statuses set in this session, for images the grid's filter no longer lists. */
  #statuses = $state.raw<Record<number, ImageSummary['status']>>({});
  settingsOpen = $state(false);

  readonly activeClass: LabelClass | null = $derived.by(
    () => this.project.classes.find((c) => c.id === this.#classId) ?? this.project.classes[0] ?? null,
  );

  readonly #sessions = new Map<number, ImageSession>();
  #clipboard: AnnotationDraft[] = [];
  #openRequest = 0;

  constructor(project: ProjectState, host: AnnotateHost) {
    this.project = project;
    this.notices = host.notices;
    this.navigate = host.navigate;
    this.photos = new PhotoCache((id, variant) => project.client.imageUrl(id, variant));
  }

  get image(): ImageSummary | null {
    return this.session?.image ?? null;
  }

  colorOf(classId: number): string {
    return this.project.classById(classId)?.color ?? '#ffcc00';
  }

  // ---------- images ----------

  async open(imageId: number): Promise<void> {
    if (this.session?.image.id === imageId) return;
    const request = ++this.#openRequest;
    this.loading = true;
    try {
      this.photos.request(imageId);
      const session = await this.#loadSession(imageId);
      if (request !== this.#openRequest) return; // the user has moved on (D/F pressed quickly)
      this.session = session;
      // Decode the neighbours once this image is on screen, not in competition with it.
      const photo = this.photos.request(imageId);
      void photo.ready.then(() => setTimeout(() => {
        if (this.session === session) this.#prefetchNeighbours(imageId);
      }, 50));
    } catch (err) {
      this.notices.show(errorMessage(err), 'error');
    } finally {
      this.loading = false;
    }
  }

  /**
   * Opens an image whose labels changed outside the annotator (a prediction accepted in review), with
   * one shape selected for editing. The cached session is dropped so the new label is there.
   */
  async openFresh(imageId: number, selectId: number | null): Promise<void> {
    if (this.queue.pending > 0) return this.notices.show('Edits are still saving; try again in a moment.', 'warning');
    this.#sessions.delete(imageId);
    if (this.session?.image.id === imageId) this.session = null;
    this.navigate({ screen: 'annotate', imageId });
    await this.open(imageId);
    if (this.session?.image.id === imageId) this.session.select(selectId);
  }

  async #loadSession(imageId: number): Promise<ImageSession> {
    let session = this.#sessions.get(imageId);
    if (!session) {
      const summary = this.project.images.find((i) => i.id === imageId) ?? (await this.project.client.images.get(imageId));
      session = new ImageSession(summary, this.project.client, this.queue, {
        saved: (_s, image) => this.#afterSave(image),
        failed: (_s, message) => this.notices.show(`Could not save the edit: ${message}. Showing what is stored.`, 'error'),
      });
      this.#sessions.set(imageId, session);
    }
    if (!session.loaded) await session.load();
    return session;
  }

  /** Decodes the next and previous images and loads their shapes while the user works on this one. */
  #prefetchNeighbours(imageId: number): void {
    for (const neighbour of [stepIn(this.navIds, imageId, 1), stepIn(this.navIds, imageId, -1)]) {
      if (neighbour === null) continue;
      this.photos.request(neighbour);
      // Requested again so the open image stays the most recently used photo.
      this.photos.request(imageId);
      this.#loadSession(neighbour).catch(() => {});
    }
  }

  /** Called when the grid opens an image: D/F walk the grid's list as it is now, for this visit. */
  enterFromGrid(): void {
    this.navIds = this.project.images.map((i) => i.id);
    this.#statuses = {};
  }

  get position(): string {
    return this.image ? positionIn(this.navIds, this.image.id) : '';
  }

  /** Moves through the list fixed when the image was opened from the grid (its filters applied then). */
  step(delta: number): void {
    if (!this.image) return;
    if (!this.navIds.includes(this.image.id)) this.navIds = this.project.images.map((i) => i.id);
    const next = stepIn(this.navIds, this.image.id, delta);
    if (next === null) return this.notices.show(delta > 0 ? 'This is the last image.' : 'This is the first image.');
    this.navigate({ screen: 'annotate', imageId: next });
  }

  nextUnlabelled(): void {
    const list = this.project.images;
    const at = list.findIndex((i) => i.id === this.image?.id);
    const ordered = [...list.slice(at + 1), ...list.slice(0, Math.max(at, 0))];
    const next = ordered.find((i) => i.status === 'unlabelled' && i.annotationCount === 0);
    if (!next) return this.notices.show('No unlabelled image left in this list.');
    this.navigate({ screen: 'annotate', imageId: next.id });
  }

  async setStatus(status: ImageSummary['status']): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.#statuses = { ...this.#statuses, [session.image.id]: status };
    await this.project.setStatus(session.image.id, status);
  }

  statusOf(imageId: number): ImageSummary['status'] | null {
    return this.project.images.find((i) => i.id === imageId)?.status ?? this.#statuses[imageId] ?? (this.session?.image.id === imageId ? this.session.image.status : null);
  }

  /**
   * The store set the image's status with the edit (unlabelled ⇄ in progress) and says so in its answer;
   * the grid badge follows now, class counts and stats through the store's projectChanged event.
   */
  #afterSave(image: ImageSummary): void {
    this.#statuses = { ...this.#statuses, [image.id]: image.status };
    if (this.project.images.some((i) => i.id === image.id)) this.project.updateImage(image);
  }

  // ---------- classes ----------

  pickClass(classId: number): void {
    this.#classId = classId;
    const selected = this.session?.selected;
    if (selected) this.session!.setClass(selected.id, classId);
  }

  pickClassByIndex(index: number): void {
    const c = this.project.classes[index];
    if (!c) return this.notices.show(`There is no class ${index + 1}. Add one in the class list.`, 'warning');
    this.pickClass(c.id);
  }

  /** The class for a new shape; creates a first class when the project has none, so drawing never blocks. */
  async classForNewShape(): Promise<number | null> {
    if (this.activeClass) return this.activeClass.id;
    const created = await this.project.createClass('object', CLASS_COLORS[0]);
    if (created) this.#classId = created.id;
    return created?.id ?? null;
  }

  // ---------- clipboard ----------

  copy(): void {
    const session = this.session;
    if (!session) return;
    const shapes = session.selected ? [session.selected] : session.annotations;
    this.#clipboard = shapes.map(draftOf);
    this.notices.show(`Copied ${plural(shapes.length, 'shape')}.`);
  }

  paste(): void {
    const session = this.session;
    if (!session || this.#clipboard.length === 0) return;
    const { width, height } = session.image;
    const fits = this.#clipboard.filter((d) => d.geometry.kind !== 'mask' || (d.geometry.rle.size[0] === height && d.geometry.rle.size[1] === width));
    if (fits.length < this.#clipboard.length) this.notices.show('Masks from an image of another size were not pasted.', 'warning');
    if (fits.length === 0) return;
    const ids = session.createMany(fits.map((d) => ({ ...d, source: 'manual', score: null })));
    session.select(ids.length === 1 ? ids[0] : null);
  }

  // ---------- conversions ----------

  toMask(): void {
    const session = this.session;
    const shape = session?.selected;
    if (!session || !shape) return this.notices.show('Select a polygon or box to convert.', 'warning');
    if (shape.geometry.kind === 'mask') return this.notices.show('This shape is already a mask.');
    const { width, height } = session.image;
    const rle = shape.geometry.kind === 'polygon' ? rleFromPolygons(shape.geometry.rings, height, width) : rleFromBbox(shape.geometry.bbox, height, width);
    session.replace(shape.id, [{ ...draftOf(shape), geometry: { kind: 'mask', rle } }], 'Convert to mask');
  }

  toPolygon(): void {
    const session = this.session;
    const shape = session?.selected;
    if (!session || !shape || shape.geometry.kind !== 'mask') return this.notices.show('Select a mask to convert.', 'warning');
    const { width, height } = session.image;
    const { outer, holes } = traceContours(rleToMask(shape.geometry.rle), width, height, 0.7);
    const rings = outer.filter((r) => Math.abs(signedArea(r)) >= 2).map(roundRing);
    if (rings.length === 0) return this.notices.show('The mask is too small to outline.', 'warning');
    if (holes.length > 0) {
      this.notices.show(`COCO polygons cannot have holes: ${plural(holes.length, 'hole')} ${pluralWord(holes.length, 'was', 'were')} filled. Undo to keep the mask.`, 'warning');
    }
    session.replace(shape.id, [{ ...draftOf(shape), geometry: { kind: 'polygon', rings } }], 'Convert to polygon');
  }
}
