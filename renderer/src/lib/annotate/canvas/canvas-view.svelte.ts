// The annotation canvas: a Konva view over the open ImageSession. Three layers — the photo and the
// read-only shapes (both listening(false)), and one interactive layer for the selected shape's editor,
// drafts and the brush cursor. Model changes reach Konva through $effects created here and destroyed
// with the view; Konva reports back only finished gestures.
import Konva from 'konva';
import { untrack } from 'svelte';
import type { Annotation } from '../../../../../electron/api.ts';
import { isSelfIntersecting } from '../../../../../trainer/common/geometry/polygon.ts';
import type { AnnotateState } from '../annotate.svelte.ts';
import type { ImageSession } from '../session.svelte.ts';
import { brushStroke, eraserStroke } from './brush.ts';
import { boxEditor, maskEditor, polygonEditor, type EditorHost, type ShapeEditor } from './editors.ts';
import { PhotoCache, type Photo } from './photo-cache.ts';
import { draftRing, PolygonDraft } from './polygon-draft.ts';
import { annotateProbe } from '../probe.ts';
import { StaticLayer } from './static-layer.ts';
import { hitTest, withAlpha } from './static-shapes.ts';
import { fitView, toImage, wheelFactor, zoomAt, type ViewTransform } from './view-transform.ts';

Konva.dragDistance = 3;

/** Zoom gestures re-render the caches this long after the last wheel event. */
const SETTLE_MS = 120;

type Gesture =
  | { kind: 'pan'; sx: number; sy: number; view: ViewTransform }
  | { kind: 'box'; x0: number; y0: number; sx: number; sy: number; rect: Konva.Rect }
  | { kind: 'stroke'; points: number[]; line: Konva.Line; erase: boolean };

export class CanvasView {
  readonly #state: AnnotateState;
  readonly #container: HTMLDivElement;
  readonly #stage: Konva.Stage;
  readonly #imageLayer = new Konva.Layer({ listening: false });
  readonly #shapes: StaticLayer;
  readonly #editLayer = new Konva.Layer();
  readonly #photo = new Konva.Image({ image: undefined, listening: false });
  readonly #cursor = new Konva.Circle({ radius: 10, stroke: '#fff', strokeWidth: 1, strokeScaleEnabled: false, listening: false, visible: false, dash: [4, 3] });
  readonly #draft: PolygonDraft;
  #settleTimer: ReturnType<typeof setTimeout> | null = null;
  #session: ImageSession | null = null;
  #view: ViewTransform = { scale: 1, x: 0, y: 0 };
  #editor: ShapeEditor | null = null;
  #editorKey: unknown[] = [];
  #gesture: Gesture | null = null;
  #pointer: { x: number; y: number } | null = null;
  #spaceHeld = false;
  #shownPhoto: Photo | null = null;
  #photoStage: 'none' | 'preview' | 'full' = 'none';
  readonly #dispose: (() => void)[] = [];

  constructor(container: HTMLDivElement, state: AnnotateState) {
    this.#state = state;
    this.#container = container;
    this.#stage = new Konva.Stage({ container, width: container.clientWidth || 800, height: container.clientHeight || 600 });
    this.#imageLayer.add(this.#photo);
    this.#shapes = new StaticLayer({
      session: () => this.#session,
      view: () => this.#view,
      stageSize: () => this.#stage.size(),
      editingId: () => (this.#state.tool === 'select' ? (this.#session?.selectedId ?? null) : null),
      colorOf: (classId) => this.#state.colorOf(classId),
    });
    this.#draft = new PolygonDraft({
      layer: this.#editLayer,
      color: () => this.#state.activeClass?.color ?? '#ffcc00',
      pointer: () => this.#pointer,
      scale: () => this.#view.scale,
    });
    this.#editLayer.add(this.#cursor);
    this.#stage.add(this.#imageLayer, this.#shapes.layer, this.#editLayer);
    const probe = annotateProbe();
    if (probe.frame) this.#timeFrames(probe.frame);

    this.#stage.on('mousedown', (e) => this.#onPointerDown(e));
    this.#listen(window, 'mousemove', (e) => this.#onPointerMove(e as MouseEvent));
    this.#listen(window, 'mouseup', (e) => this.#onPointerUp(e as MouseEvent));
    this.#listen(container, 'wheel', (e) => this.#onWheel(e as WheelEvent), { passive: false });
    this.#listen(container, 'mouseleave', () => this.#setCursorVisible(false));
    this.#listen(container, 'contextmenu', (e) => e.preventDefault());
    this.#listen(window, 'keyup', (e) => {
      if ((e as KeyboardEvent).code === 'Space') this.#setSpace(false);
    });
    this.#listen(window, 'blur', () => this.#setSpace(false));
    const resize = new ResizeObserver(() => this.#resize());
    resize.observe(container);
    this.#dispose.push(() => resize.disconnect());
    this.#dispose.push(() => {
      if (this.#settleTimer) clearTimeout(this.#settleTimer);
    });

    this.#dispose.push(
      $effect.root(() => {
        $effect(() => {
          const session = this.#state.session;
          untrack(() => this.#showSession(session));
        });
        $effect(() => {
          const session = this.#state.session;
          if (!session) return;
          void session.annotations;
          void session.selectedId;
          void session.hideOthers;
          void this.#state.project.classes;
          void this.#state.tool;
          untrack(() => this.#shapes.sync());
        });
        $effect(() => {
          const session = this.#state.session;
          void session?.selected;
          void session?.selectedVertex;
          void this.#state.tool;
          void this.#state.project.classes;
          untrack(() => this.#syncEditor());
        });
        $effect(() => {
          void this.#state.tool;
          void this.#state.brushRadius;
          untrack(() => {
            this.#draft.cancel();
            this.#updateCursor();
          });
        });
      }),
    );
  }

  /**
   * Reports each frame's drawing time to a benchmark's probe. Konva draws all layers of a frame in one
   * callback, so a microtask queued at the first layer runs once they are all done.
   */
  #timeFrames(report: (ms: number) => void): void {
    let frameStart = -1;
    for (const layer of [this.#imageLayer, this.#shapes.layer, this.#editLayer]) {
      layer.on('beforeDraw', () => {
        if (frameStart >= 0) return;
        frameStart = performance.now();
        queueMicrotask(() => {
          report(performance.now() - frameStart);
          frameStart = -1;
        });
      });
    }
  }

  destroy(): void {
    for (const dispose of this.#dispose.splice(0)) dispose();
    this.#stage.destroy();
  }

  #listen(target: EventTarget, type: string, handler: (e: Event) => void, options?: AddEventListenerOptions): void {
    target.addEventListener(type, handler, options);
    this.#dispose.push(() => target.removeEventListener(type, handler, options));
  }

  get view(): ViewTransform {
    return { ...this.#view };
  }

  // ---------- image and view ----------

  #showSession(session: ImageSession | null): void {
    this.#session = session;
    this.#gesture = null;
    this.#draft.cancel();
    this.#shapes.clear();
    this.#editor?.destroy();
    this.#editor = null;
    this.#editorKey = [];
    this.#photo.image(undefined);
    this.#shownPhoto = null;
    if (!session) return;
    const { width, height } = session.image;
    this.#photo.size({ width, height });
    this.fit();
    const photo = this.#state.photos.request(session.image.id);
    this.#shownPhoto = photo;
    this.#photoStage = 'none';
    const started = performance.now();
    const show = (stage: 'preview' | 'full') => {
      if (this.#shownPhoto !== photo || this.#photoStage === 'full') return;
      this.#photoStage = stage;
      this.#refreshPhoto();
      requestAnimationFrame(() => {
        if (this.#shownPhoto !== photo) return;
        // Tests wait for this attribute; a benchmark's probe gets the timing.
        this.#container.dataset.paintedImage = String(session.image.id);
        annotateProbe().imagePainted?.({ imageId: session.image.id, stage, ms: performance.now() - started });
      });
    };
    if (photo.levels.length > 0) {
      show('full');
      return;
    }
    void photo.previewReady.then(() => photo.preview && show('preview'));
    void photo.ready.then(() => {
      if (!photo.failed) show('full');
      else if (this.#shownPhoto === photo) this.#state.notices.show(`Could not load the image ${session.image.fileName}.`, 'error');
    });
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
    this.#editor?.setScale(view.scale);
    this.#draft.redraw();
    if (view.scale !== this.#shapes.drawnScale) {
      // Zooming: the caches stretch for a moment and are redrawn once the wheel rests.
      if (this.#settleTimer) clearTimeout(this.#settleTimer);
      this.#settleTimer = setTimeout(() => {
        this.#settleTimer = null;
        this.#refreshPhoto();
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
    this.#updateCursor();
  }

  #setSpace(held: boolean): void {
    if (this.#spaceHeld === held) return;
    this.#spaceHeld = held;
    // While space is held every press pans, including presses on the editor's handles.
    this.#editLayer.listening(!held);
    this.#container.style.cursor = held ? 'grab' : '';
  }

  #screenPoint(e: MouseEvent): { x: number; y: number } {
    const rect = this.#container.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  #imagePoint(e: MouseEvent): { x: number; y: number } {
    const s = this.#screenPoint(e);
    return toImage(this.#view, s.x, s.y);
  }

  // ---------- photo ----------

  /**
   * Shows the photo for the current zoom. Zoomed out it is drawn once, smoothly, into a bitmap of
   * screen resolution (panning then blits it); past 100 % it is drawn directly without smoothing, so
   * annotators see real pixels.
   */
  #refreshPhoto(): void {
    const photo = this.#shownPhoto;
    if (!photo || this.#photoStage === 'none') return;
    const ratio = this.#view.scale * devicePixelRatio;
    const source = PhotoCache.pick(photo, ratio);
    if (source && source !== this.#photo.image()) this.#photo.image(source);
    const smooth = this.#view.scale < 1;
    this.#imageLayer.imageSmoothingEnabled(smooth);
    this.#shapes.layer.imageSmoothingEnabled(smooth);
    this.#photo.clearCache();
    if (smooth && source) this.#photo.cache({ pixelRatio: ratio, imageSmoothingEnabled: true });
    this.#imageLayer.batchDraw();
  }

  // ---------- editor of the selected shape ----------

  #syncEditor(): void {
    const session = this.#session;
    const selected = session?.selected ?? null;
    const tool = this.#state.tool;
    const color = selected ? this.#state.colorOf(selected.classId) : '';
    const key = [selected, tool, color, session?.selectedVertex];
    if (key.every((v, i) => v === this.#editorKey[i])) return;
    this.#editorKey = key;
    this.#editor?.destroy();
    this.#editor = null;
    if (session && selected && (tool === 'select' || selected.geometry.kind === 'mask')) {
      this.#editor = this.#buildEditor(session, selected, color);
      this.#editLayer.add(this.#editor.root);
      this.#editor.root.moveToBottom();
      this.#editor.setScale(this.#view.scale);
    }
    this.#shapes.requestRefresh();
    this.#stage.batchDraw();
  }

  #buildEditor(session: ImageSession, a: Annotation, color: string): ShapeEditor {
    const host: EditorHost = {
      imageWidth: session.image.width,
      imageHeight: session.image.height,
      scale: () => this.#view.scale,
      commit: (id, geometry, label) => session.setGeometry(id, geometry, label),
      selectVertex: (vertex) => (session.selectedVertex = vertex),
      notice: (text, kind) => this.#state.notices.show(text, kind),
    };
    const g = a.geometry;
    if (g.kind === 'box') return boxEditor(a as Annotation & { geometry: typeof g }, color, host);
    if (g.kind === 'polygon') return polygonEditor(a as Annotation & { geometry: typeof g }, color, session.selectedVertex, host);
    return maskEditor(this.#shapes.shape(a.id)?.crop ?? null, color);
  }

  // ---------- pointer gestures ----------

  #onPointerDown(e: Konva.KonvaEventObject<MouseEvent>): void {
    const evt = e.evt;
    const session = this.#session;
    if (!session) return;
    const screen = this.#screenPoint(evt);
    if (evt.button === 1 || (evt.button === 0 && this.#spaceHeld)) {
      evt.preventDefault();
      this.#gesture = { kind: 'pan', sx: screen.x, sy: screen.y, view: this.#view };
      this.#container.style.cursor = 'grabbing';
      return;
    }
    if (evt.button !== 0) return;
    const onEditor = e.target !== this.#stage && e.target.getLayer() === this.#editLayer;
    const p = this.#imagePoint(evt);
    switch (this.#state.tool) {
      case 'select':
        if (!onEditor) this.#selectAt(p, true);
        break;
      case 'box': {
        const color = this.#state.activeClass?.color ?? '#ffcc00';
        const rect = new Konva.Rect({ x: p.x, y: p.y, width: 0, height: 0, stroke: color, strokeWidth: 1.5, strokeScaleEnabled: false, dash: [6, 3], listening: false, fill: withAlpha(color, 0.15) });
        this.#editLayer.add(rect);
        this.#gesture = { kind: 'box', x0: p.x, y0: p.y, sx: screen.x, sy: screen.y, rect };
        break;
      }
      case 'polygon':
        this.#polygonClick(p);
        break;
      case 'brush':
      case 'eraser': {
        const erase = this.#state.tool === 'eraser';
        const color = erase ? '#ffffff' : (this.#state.activeClass?.color ?? '#ffcc00');
        const line = new Konva.Line({
          points: [p.x, p.y, p.x, p.y],
          stroke: withAlpha(color, erase ? 0.5 : 0.55),
          strokeWidth: this.#state.brushRadius * 2,
          lineCap: 'round',
          lineJoin: 'round',
          listening: false,
        });
        this.#editLayer.add(line);
        line.moveToTop();
        this.#cursor.moveToTop();
        this.#gesture = { kind: 'stroke', points: [p.x, p.y], line, erase };
        this.#editLayer.batchDraw();
        break;
      }
    }
  }

  #onPointerMove(e: MouseEvent): void {
    if (!this.#session) return;
    const gesture = this.#gesture;
    const p = this.#imagePoint(e);
    this.#pointer = p;
    if (gesture?.kind === 'pan') {
      const s = this.#screenPoint(e);
      this.#setView({ ...gesture.view, x: gesture.view.x + s.x - gesture.sx, y: gesture.view.y + s.y - gesture.sy });
      return;
    }
    if (gesture?.kind === 'box') {
      gesture.rect.setAttrs({ x: Math.min(gesture.x0, p.x), y: Math.min(gesture.y0, p.y), width: Math.abs(p.x - gesture.x0), height: Math.abs(p.y - gesture.y0) });
    } else if (gesture?.kind === 'stroke') {
      const pts = gesture.points;
      const lx = pts[pts.length - 2], ly = pts[pts.length - 1];
      if (Math.hypot(p.x - lx, p.y - ly) >= Math.max(0.5, this.#state.brushRadius / 4)) {
        pts.push(p.x, p.y);
        gesture.line.points(pts.length === 2 ? [...pts, ...pts] : pts);
      }
    }
    if (this.#draft.active) this.#draft.redraw();
    const s = this.#screenPoint(e);
    const over = s.x >= 0 && s.y >= 0 && s.x <= this.#stage.width() && s.y <= this.#stage.height();
    this.#updateCursor(over);
    this.#editLayer.batchDraw();
  }

  #onPointerUp(e: MouseEvent): void {
    const gesture = this.#gesture;
    const session = this.#session;
    if (!gesture || !session) return;
    this.#gesture = null;
    if (gesture.kind === 'pan') {
      this.#container.style.cursor = this.#spaceHeld ? 'grab' : '';
      return;
    }
    const p = this.#imagePoint(e);
    if (gesture.kind === 'box') {
      gesture.rect.destroy();
      this.#editLayer.batchDraw();
      const s = this.#screenPoint(e);
      if (Math.hypot(s.x - gesture.sx, s.y - gesture.sy) < 3) {
        this.#selectAt(p, false); // a click with the box tool selects, it does not draw
        return;
      }
      void this.#commitBox(session, gesture.x0, gesture.y0, p.x, p.y);
    } else if (gesture.kind === 'stroke') {
      gesture.line.destroy();
      void this.#commitStroke(session, gesture.points, gesture.erase);
    }
  }

  #selectAt(p: { x: number; y: number }, startDrag: boolean): void {
    const session = this.#session!;
    const candidates = session.hideOthers ? [...this.#shapes.shapes()].filter((n) => n.annotation.id === session.selectedId) : this.#shapes.shapes();
    const hit = hitTest(candidates, p.x, p.y, 4 / this.#view.scale);
    session.select(hit?.id ?? null);
    if (hit && startDrag && this.#state.tool === 'select') {
      // Let one press select and move: build the editor now and hand it the drag.
      this.#syncEditor();
      this.#editor?.dragNode?.startDrag();
    }
  }

  async #commitBox(session: ImageSession, x0: number, y0: number, x1: number, y1: number): Promise<void> {
    const W = session.image.width, H = session.image.height;
    const ax = Math.max(0, Math.min(W, Math.min(x0, x1))), bx = Math.max(0, Math.min(W, Math.max(x0, x1)));
    const ay = Math.max(0, Math.min(H, Math.min(y0, y1))), by = Math.max(0, Math.min(H, Math.max(y0, y1)));
    const round = (v: number) => Math.round(v * 100) / 100;
    const bbox: [number, number, number, number] = [round(ax), round(ay), round(bx - ax), round(by - ay)];
    if (bbox[2] < 1 || bbox[3] < 1) {
      this.#state.notices.show('That box has no area (under 1 pixel wide or high) and was not kept.', 'warning');
      return;
    }
    const classId = await this.#state.classForNewShape();
    if (classId === null) return;
    session.create({ classId, geometry: { kind: 'box', bbox } }, 'Draw box');
  }

  // ---------- polygon drawing ----------

  #polygonClick(p: { x: number; y: number }): void {
    if (this.#draft.click(p)) void this.finishPolygon();
  }

  get drawingPolygon(): boolean {
    return this.#draft.active;
  }

  async finishPolygon(): Promise<void> {
    const session = this.#session;
    const points = this.#draft.points;
    if (!session || !points) return;
    const { ring, problem } = draftRing(points, session.image.width, session.image.height);
    if (problem) {
      this.#state.notices.show(`${problem} Keep clicking to add points, or Esc to cancel.`, 'warning');
      return;
    }
    this.#draft.cancel();
    if (isSelfIntersecting(ring)) this.#state.notices.show('This polygon crosses itself; COCO tools may misread it. Fix it in edit mode (V).', 'warning');
    const classId = await this.#state.classForNewShape();
    if (classId === null) return;
    session.create({ classId, geometry: { kind: 'polygon', rings: [ring] } }, 'Draw polygon');
  }

  removeLastPolygonPoint(): void {
    this.#draft.removeLast();
  }

  // ---------- brush and eraser ----------

  #updateCursor(over?: boolean): void {
    const brush = this.#state.tool === 'brush' || this.#state.tool === 'eraser';
    this.#cursor.radius(this.#state.brushRadius);
    if (this.#pointer) this.#cursor.position(this.#pointer);
    if (over !== undefined) this.#setCursorVisible(brush && over);
    else this.#setCursorVisible(brush && this.#cursor.visible());
    this.#container.style.cursor = this.#spaceHeld ? 'grab' : brush ? 'none' : this.#state.tool === 'select' ? 'default' : 'crosshair';
  }

  #setCursorVisible(visible: boolean): void {
    if (this.#cursor.visible() === visible) return;
    this.#cursor.visible(visible);
    this.#editLayer.batchDraw();
  }

  async #commitStroke(session: ImageSession, points: number[], erase: boolean): Promise<void> {
    const radius = this.#state.brushRadius;
    if (!erase) {
      const painted = brushStroke(session.image, session.selected, points, radius);
      if (!painted) return;
      if (painted.target) return session.setGeometry(painted.target.id, painted.geometry, 'Brush');
      const classId = await this.#state.classForNewShape();
      if (classId === null) return;
      session.create({ classId, geometry: painted.geometry }, 'Brush');
      return;
    }
    const { ops, notice } = eraserStroke(session.image, session.annotations, session.selected, points, radius);
    if (notice) this.#state.notices.show(notice);
    if (ops.length > 0) session.edit('Erase', ops);
  }

  // ---------- keys the canvas owns while a gesture is in progress ----------

  /** Returns true when the key was consumed (drafting keys take precedence over app shortcuts). */
  handleKey(e: KeyboardEvent): boolean {
    if (e.code === 'Space') {
      e.preventDefault();
      this.#setSpace(true);
      return true;
    }
    if (this.#draft.active) {
      if (e.key === 'Enter') return void this.finishPolygon(), true;
      if (e.key === 'Escape') return this.#draft.cancel(), true;
      if (e.key === 'Backspace') return this.#draft.removeLast(), true;
    }
    if (e.key === 'Escape' && this.#gesture && this.#gesture.kind !== 'pan') {
      if (this.#gesture.kind === 'box') this.#gesture.rect.destroy();
      else this.#gesture.line.destroy();
      this.#gesture = null;
      this.#editLayer.batchDraw();
      return true;
    }
    return false;
  }
}
