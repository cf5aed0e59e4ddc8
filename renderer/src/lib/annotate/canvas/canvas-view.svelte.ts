// The annotation canvas: a Konva view over the open ImageSession. Three layers — the photo and the
// read-only shapes (both listening(false)), and one interactive layer for the selected shape's editor,
// drafts and the brush cursor. Model changes reach Konva through the $effects of model-sync, created and
// destroyed with the view; Konva reports back only finished gestures. This file composes the parts and
// owns the view transform; the photo (photo-stage), pointer routing (pointer-gestures), the edits a
// gesture makes (shape-commits) and the selected shape's editor (editor-slot) are their own modules.
import Konva from 'konva';
import type { AnnotateState } from '../annotate.svelte.ts';
import type { ImageSession } from '../session.svelte.ts';
import { EditorSlot } from './editor-slot.ts';
import { syncModelToCanvas } from './model-sync.svelte.ts';
import { PhotoStage } from './photo-stage.ts';
import { PointerGestures } from './pointer-gestures.ts';
import { PolygonDraft } from './polygon-draft.ts';
import { annotateProbe, timeFrames } from '../probe.ts';
import { commitBox, commitPolygon, commitStroke, type CommitHost } from './shape-commits.ts';
import { StaticLayer } from './static-layer.ts';
import { hitTest } from './static-shapes.ts';
import { fitView, wheelFactor, zoomAt, type ViewTransform } from './view-transform.ts';

Konva.dragDistance = 3;

/** Zoom gestures re-render the caches this long after the last wheel event. */
const SETTLE_MS = 120;

export class CanvasView {
  readonly #state: AnnotateState;
  readonly #container: HTMLDivElement;
  readonly #stage: Konva.Stage;
  readonly #imageLayer = new Konva.Layer({ listening: false });
  readonly #shapes: StaticLayer;
  readonly #editLayer = new Konva.Layer();
  readonly #photo: PhotoStage;
  readonly #draft: PolygonDraft;
  readonly #gestures: PointerGestures;
  readonly #commits: CommitHost;
  readonly #editor: EditorSlot;
  #settleTimer: ReturnType<typeof setTimeout> | null = null;
  #session: ImageSession | null = null;
  #view: ViewTransform = { scale: 1, x: 0, y: 0 };
  readonly #dispose: (() => void)[] = [];

  constructor(container: HTMLDivElement, state: AnnotateState) {
    this.#state = state;
    this.#container = container;
    this.#stage = new Konva.Stage({ container, width: container.clientWidth || 800, height: container.clientHeight || 600 });
    const activeColor = () => this.#state.activeClass?.color ?? '#ffcc00';
    const notice = (text: string, kind?: 'info' | 'warning' | 'error') => this.#state.notices.show(text, kind);
    this.#commits = { classForNewShape: () => this.#state.classForNewShape(), notice };
    this.#shapes = new StaticLayer({
      session: () => this.#session,
      view: () => this.#view,
      stageSize: () => this.#stage.size(),
      editingId: () => (this.#state.tool === 'select' ? (this.#session?.selectedId ?? null) : null),
      colorOf: (classId) => this.#state.colorOf(classId),
    });
    this.#photo = new PhotoStage({
      layer: this.#imageLayer,
      smoothingFollowers: [this.#shapes.layer],
      container,
      request: (imageId) => this.#state.photos.request(imageId),
      scale: () => this.#view.scale,
      notice,
    });
    this.#editor = new EditorSlot({
      layer: this.#editLayer,
      tool: () => this.#state.tool,
      colorOf: (classId) => this.#state.colorOf(classId),
      scale: () => this.#view.scale,
      maskCrop: (id) => this.#shapes.shape(id)?.crop ?? null,
      notice,
    });
    this.#draft = new PolygonDraft({
      layer: this.#editLayer,
      color: activeColor,
      pointer: () => this.#gestures.pointer,
      scale: () => this.#view.scale,
    });
    this.#gestures = new PointerGestures({
      stage: this.#stage,
      editLayer: this.#editLayer,
      container,
      session: () => this.#session,
      tool: () => this.#state.tool,
      brushRadius: () => this.#state.brushRadius,
      color: activeColor,
      view: () => this.#view,
      setView: (view) => this.#setView(view),
      selectAt: (p, startDrag) => this.#selectAt(p, startDrag),
      polygonClick: (p) => {
        if (this.#draft.click(p)) void this.finishPolygon();
      },
      pointerMoved: () => {
        if (this.#draft.active) this.#draft.redraw();
      },
      boxDrawn: (session, x0, y0, x1, y1) => void commitBox(this.#commits, session, x0, y0, x1, y1),
      strokeDrawn: (session, points, erase) => void commitStroke(this.#commits, session, points, this.#state.brushRadius, erase),
    });
    this.#stage.add(this.#imageLayer, this.#shapes.layer, this.#editLayer);
    const probe = annotateProbe();
    if (probe.frame) timeFrames([this.#imageLayer, this.#shapes.layer, this.#editLayer], probe.frame);

    const listen = (target: EventTarget, type: string, handler: (e: Event) => void, options?: AddEventListenerOptions) => {
      target.addEventListener(type, handler, options);
      this.#dispose.push(() => target.removeEventListener(type, handler, options));
    };
    this.#gestures.attach(listen);
    listen(container, 'wheel', (e) => this.#onWheel(e as WheelEvent), { passive: false });
    listen(container, 'contextmenu', (e) => e.preventDefault());
    const resize = new ResizeObserver(() => this.#resize());
    resize.observe(container);
    this.#dispose.push(() => resize.disconnect());
    this.#dispose.push(() => {
      if (this.#settleTimer) clearTimeout(this.#settleTimer);
    });

    this.#dispose.push(
      syncModelToCanvas(state, {
        showSession: (session) => this.#showSession(session),
        syncShapes: () => this.#shapes.sync(),
        syncEditor: () => this.#syncEditor(),
        toolChanged: () => {
          this.#draft.cancel();
          this.#gestures.updateCursor();
        },
      }),
    );
  }

  destroy(): void {
    for (const dispose of this.#dispose.splice(0)) dispose();
    this.#stage.destroy();
  }

  get view(): ViewTransform {
    return { ...this.#view };
  }

  // ---------- image and view ----------

  #showSession(session: ImageSession | null): void {
    this.#session = session;
    this.#gestures.reset();
    this.#draft.cancel();
    this.#shapes.clear();
    this.#editor.clear();
    if (session) this.fit();
    this.#photo.show(session);
  }

  fit(): void {
    const session = this.#session;
    if (!session) return;
    this.#setView(fitView(session.image.width, session.image.height, this.#stage.width(), this.#stage.height()));
  }

  zoomBy(factor: number): void {
    this.#setView(zoomAt(this.#view, this.#stage.width() / 2, this.#stage.height() / 2, factor));
  }

  #resize(): void {
    const w = this.#container.clientWidth, h = this.#container.clientHeight;
    if (w === 0 || h === 0) return;
    const first = this.#stage.width() !== w || this.#stage.height() !== h;
    this.#stage.size({ width: w, height: h });
    if (first) this.fit();
  }

  #setView(view: ViewTransform): void {
    this.#view = view;
    this.#stage.scale({ x: view.scale, y: view.scale });
    this.#stage.position({ x: view.x, y: view.y });
    this.#editor.setScale(view.scale);
    this.#draft.redraw();
    if (view.scale !== this.#shapes.drawnScale) {
      // Zooming: the caches stretch for a moment and are redrawn once the wheel rests.
      if (this.#settleTimer) clearTimeout(this.#settleTimer);
      this.#settleTimer = setTimeout(() => {
        this.#settleTimer = null;
        this.#photo.refresh();
        this.#shapes.refresh();
      }, SETTLE_MS);
    }
    this.#shapes.viewChanged(view.scale);
    this.#stage.batchDraw();
    this.#state.zoom = view.scale;
    // Tests and the benchmark map image pixels to screen pixels with this.
    this.#container.dataset.view = `${view.scale},${view.x},${view.y}`;
  }

  #onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.#container.getBoundingClientRect();
    this.#setView(zoomAt(this.#view, e.clientX - rect.left, e.clientY - rect.top, wheelFactor(e.deltaY, e.deltaMode)));
    this.#gestures.updateCursor();
  }

  // ---------- editor of the selected shape ----------

  #syncEditor(): void {
    if (!this.#editor.sync(this.#session)) return;
    this.#shapes.requestRefresh();
    this.#stage.batchDraw();
  }

  #selectAt(p: { x: number; y: number }, startDrag: boolean): void {
    const session = this.#session!;
    const candidates = session.hideOthers ? [...this.#shapes.shapes()].filter((n) => n.annotation.id === session.selectedId) : this.#shapes.shapes();
    const hit = hitTest(candidates, p.x, p.y, 4 / this.#view.scale);
    session.select(hit?.id ?? null);
    if (hit && startDrag && this.#state.tool === 'select') {
      // Let one press select and move: build the editor now and hand it the drag.
      this.#syncEditor();
      this.#editor.startDrag();
    }
  }

  // ---------- polygon drawing and the keys the canvas owns during a gesture ----------

  get drawingPolygon(): boolean {
    return this.#draft.active;
  }

  async finishPolygon(): Promise<void> {
    const session = this.#session;
    const points = this.#draft.points;
    if (!session || !points) return;
    const taken = commitPolygon(this.#commits, session, points);
    if (taken === false) return;
    this.#draft.cancel();
    await taken;
  }

  removeLastPolygonPoint(): void {
    this.#draft.removeLast();
  }

  /** Returns true when the key was consumed (drafting keys take precedence over app shortcuts). */
  handleKey(e: KeyboardEvent): boolean {
    if (e.code === 'Space') {
      e.preventDefault();
      this.#gestures.setSpace(true);
      return true;
    }
    if (this.#draft.active) {
      if (e.key === 'Enter') return void this.finishPolygon(), true;
      if (e.key === 'Escape') return this.#draft.cancel(), true;
      if (e.key === 'Backspace') return this.#draft.removeLast(), true;
    }
    if (e.key === 'Escape') return this.#gestures.cancelDrawing();
    return false;
  }
}
