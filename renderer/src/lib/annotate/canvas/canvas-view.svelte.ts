// The annotation canvas: a Konva view over the open ImageSession. Three layers — the photo and the
// read-only shapes (both listening(false)), and one interactive layer for the selected shape's editor,
// drafts and the brush cursor. Model changes reach Konva through $effects created here and destroyed
// with the view; Konva reports back only finished gestures.
import Konva from 'konva';
import { untrack } from 'svelte';
import type { Annotation, AnnotationOp, Geometry } from '../../../../../electron/api.ts';
import { rleFromMask, rleToMask } from '../../../../../trainer/common/rle.ts';
import { stampStroke } from '../../../../../trainer/common/geometry/mask.ts';
import { isSelfIntersecting, polygonProblem, roundRing } from '../../../../../trainer/common/geometry/polygon.ts';
import type { AnnotateState } from '../annotate.svelte.ts';
import type { ImageSession } from '../session.svelte.ts';
import { boxEditor, maskEditor, polygonEditor, type EditorHost, type ShapeEditor } from './editors.ts';
import { PhotoCache, type Photo } from './photo-cache.ts';
import { buildStaticShape, hitTest, withAlpha, type StaticShape } from './static-shapes.ts';
import { fitView, toImage, visibleRect, wheelFactor, zoomAt, type ViewTransform } from './view-transform.ts';

Konva.dragDistance = 3;

/** Largest bitmap (per side, and in total) the read-only shapes are cached into. */
const MAX_CACHE_SIDE = 8192;
const MAX_CACHE_PIXELS = 16_000_000;
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
  readonly #shapesLayer = new Konva.Layer({ listening: false });
  readonly #editLayer = new Konva.Layer();
  readonly #photo = new Konva.Image({ image: undefined, listening: false });
  readonly #cursor = new Konva.Circle({ radius: 10, stroke: '#fff', strokeWidth: 1, strokeScaleEnabled: false, listening: false, visible: false, dash: [4, 3] });
  readonly #polygonDraft = new Konva.Line({ points: [], stroke: '#fff', strokeWidth: 1.5, strokeScaleEnabled: false, listening: false, visible: false });
  readonly #polygonDots = new Konva.Group({ listening: false });
  readonly #nodes = new Map<number, StaticShape>();
  /**
   * All read-only shapes. At the zooms where it fits, it is cached into one bitmap at the current
   * zoom, so a pan frame draws one image instead of a thousand paths; closer in, off-screen shapes
   * are culled instead.
   */
  readonly #staticGroup = new Konva.Group({ listening: false });
  #staticCached = false;
  /** What the cache holds (zoom and visible nodes), to skip redrawing it when nothing it shows changed. */
  #cacheKey = '';
  /** The zoom the read-only shapes' line width and caches were made for. */
  #drawnScale = 1;
  #settleTimer: ReturnType<typeof setTimeout> | null = null;
  #session: ImageSession | null = null;
  #view: ViewTransform = { scale: 1, x: 0, y: 0 };
  #editor: ShapeEditor | null = null;
  #editorKey: unknown[] = [];
  #gesture: Gesture | null = null;
  #polygonPoints: number[] | null = null;
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
    this.#shapesLayer.add(this.#staticGroup);
    this.#editLayer.add(this.#polygonDraft, this.#polygonDots, this.#cursor);
    this.#stage.add(this.#imageLayer, this.#shapesLayer, this.#editLayer);
    // Each frame's drawing time is announced as a 'fieldwork:frame' event on the container (read by
    // bench/canvas.ts; nothing is kept). Konva draws all layers of a frame in one callback, so a
    // microtask queued at the first layer runs once they are all done.
    let frameStart = -1;
    for (const layer of [this.#imageLayer, this.#shapesLayer, this.#editLayer]) {
      layer.on('beforeDraw', () => {
        if (frameStart >= 0) return;
        frameStart = performance.now();
        queueMicrotask(() => {
          container.dispatchEvent(new CustomEvent('fieldwork:frame', { detail: performance.now() - frameStart }));
          frameStart = -1;
        });
      });
    }

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
          untrack(() => this.#syncShapes());
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
            this.#cancelPolygon();
            this.#updateCursor();
          });
        });
      }),
    );
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
    this.#cancelPolygon();
    for (const entry of this.#nodes.values()) entry.node.destroy();
    this.#nodes.clear();
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
        this.#container.dataset.paintedImage = String(session.image.id);
        const detail = { imageId: session.image.id, stage, ms: performance.now() - started };
        this.#container.dispatchEvent(new CustomEvent('fieldwork:image-painted', { bubbles: true, detail }));
      });
    };
    if (photo.levels.length > 0) {
      show('full');
      return;
    }
    void photo.previewReady.then(() => photo.preview && show('preview'));
    void photo.ready.then(() => {
      if (!photo.failed) show('full');
      else if (this.#shownPhoto === photo) this.#state.app.notices.show(`Could not load the image ${session.image.fileName}.`, 'error');
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
    this.#redrawPolygonDraft();
    if (view.scale !== this.#drawnScale) {
      // Zooming: the caches stretch for a moment and are redrawn once the wheel rests.
      if (this.#settleTimer) clearTimeout(this.#settleTimer);
      this.#settleTimer = setTimeout(() => {
        this.#settleTimer = null;
        this.#refreshPhoto();
        this.#refreshStatic();
      }, SETTLE_MS);
      if (!this.#staticCached) this.#drawnScale = view.scale;
    }
    if (!this.#staticCached) this.#cull();
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

  // ---------- read-only shapes ----------

  #syncShapes(): void {
    const session = this.#session;
    if (!session) return;
    const seen = new Set<number>();
    for (const annotation of session.annotations) {
      seen.add(annotation.id);
      const color = this.#state.colorOf(annotation.classId);
      let entry = this.#nodes.get(annotation.id);
      if (entry && (entry.annotation !== annotation || entry.color !== color)) {
        entry.node.destroy();
        entry = undefined;
      }
      if (!entry) {
        entry = buildStaticShape(annotation, color, () => 1.5 / this.#drawnScale);
        this.#nodes.set(annotation.id, entry);
        this.#staticGroup.add(entry.node);
      }
    }
    for (const [id, entry] of this.#nodes) {
      if (!seen.has(id)) {
        entry.node.destroy();
        this.#nodes.delete(id);
      }
    }
    this.#requestStaticRefresh();
  }

  #staticRefreshQueued = false;

  /** Shape and selection changes often come together; redraw the cache once for both. */
  #requestStaticRefresh(): void {
    if (this.#staticRefreshQueued) return;
    this.#staticRefreshQueued = true;
    queueMicrotask(() => {
      this.#staticRefreshQueued = false;
      this.#refreshStatic();
    });
  }

  /** Redraws the read-only shapes for the current zoom: into one cached bitmap when it fits, else culled. */
  #refreshStatic(): void {
    const session = this.#session;
    if (!session) return;
    const { width, height } = session.image;
    const ratio = this.#view.scale * devicePixelRatio;
    const side = Math.max(width, height) * ratio;
    this.#drawnScale = this.#view.scale;
    this.#staticCached = this.#nodes.size > 0 && side <= MAX_CACHE_SIDE && width * height * ratio * ratio <= MAX_CACHE_PIXELS;
    this.#cull();
    if (this.#staticCached) {
      // Editing the selected shape happens on the edit layer; the cache only changes when what it shows does.
      let key = `${ratio}`;
      for (const { node } of this.#nodes.values()) if (node.visible()) key += `,${node._id}`;
      if (key === this.#cacheKey && this.#staticGroup.isCached()) return;
      this.#cacheKey = key;
      const margin = 4 / this.#view.scale;
      this.#staticGroup.clearCache();
      this.#staticGroup.cache({ x: -margin, y: -margin, width: width + 2 * margin, height: height + 2 * margin, pixelRatio: ratio });
    } else {
      this.#cacheKey = '';
      this.#staticGroup.clearCache();
    }
    this.#shapesLayer.batchDraw();
  }

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
    this.#shapesLayer.imageSmoothingEnabled(smooth);
    this.#photo.clearCache();
    if (smooth && source) this.#photo.cache({ pixelRatio: ratio, imageSmoothingEnabled: true });
    this.#imageLayer.batchDraw();
  }

  /** Hides shapes outside the viewport (Konva would still walk and draw them), hidden ones, and the one being edited. */
  #cull(): void {
    const session = this.#session;
    if (!session) return;
    const { x0, y0, x1, y1 } = visibleRect(this.#view, this.#stage.width(), this.#stage.height());
    const selected = session.selectedId;
    const editing = this.#state.tool === 'select' ? selected : null;
    for (const [id, { annotation, node }] of this.#nodes) {
      const [bx, by, bw, bh] = annotation.bbox;
      const onScreen = this.#staticCached || (bx <= x1 && by <= y1 && bx + bw >= x0 && by + bh >= y0);
      const hidden = (session.hideOthers && id !== selected) || (id === editing && annotation.geometry.kind !== 'mask');
      const visible = onScreen && !hidden;
      if (node.visible() !== visible) node.visible(visible);
    }
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
    this.#requestStaticRefresh();
    this.#stage.batchDraw();
  }

  #buildEditor(session: ImageSession, a: Annotation, color: string): ShapeEditor {
    const host: EditorHost = {
      imageWidth: session.image.width,
      imageHeight: session.image.height,
      scale: () => this.#view.scale,
      commit: (id, geometry, label) => session.setGeometry(id, geometry, label),
      selectVertex: (vertex) => (session.selectedVertex = vertex),
      notice: (text, kind) => this.#state.app.notices.show(text, kind),
    };
    const g = a.geometry;
    if (g.kind === 'box') return boxEditor(a as Annotation & { geometry: typeof g }, color, host);
    if (g.kind === 'polygon') return polygonEditor(a as Annotation & { geometry: typeof g }, color, session.selectedVertex, host);
    return maskEditor(this.#nodes.get(a.id)?.crop ?? null, color);
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
    if (this.#polygonPoints) this.#redrawPolygonDraft();
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
    const candidates = session.hideOthers ? [...this.#nodes.values()].filter((n) => n.annotation.id === session.selectedId) : this.#nodes.values();
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
      this.#state.app.notices.show('That box has no area (under 1 pixel wide or high) and was not kept.', 'warning');
      return;
    }
    const classId = await this.#state.classForNewShape();
    if (classId === null) return;
    session.create({ classId, geometry: { kind: 'box', bbox } }, 'Draw box');
  }

  // ---------- polygon drawing ----------

  #polygonClick(p: { x: number; y: number }): void {
    const points = this.#polygonPoints;
    if (!points) {
      this.#polygonPoints = [p.x, p.y];
    } else {
      const closeRadius = 8 / this.#view.scale;
      if (points.length >= 6 && Math.hypot(p.x - points[0], p.y - points[1]) <= closeRadius) {
        void this.finishPolygon();
        return;
      }
      points.push(p.x, p.y);
    }
    this.#redrawPolygonDraft();
  }

  get drawingPolygon(): boolean {
    return this.#polygonPoints !== null;
  }

  async finishPolygon(): Promise<void> {
    const session = this.#session;
    const points = this.#polygonPoints;
    if (!session || !points) return;
    const W = session.image.width, H = session.image.height;
    const ring = roundRing(points.map((v, i) => Math.max(0, Math.min(i % 2 === 0 ? W : H, v))));
    const problem = polygonProblem([ring]);
    if (problem) {
      this.#state.app.notices.show(`${problem} Keep clicking to add points, or Esc to cancel.`, 'warning');
      return;
    }
    this.#cancelPolygon();
    if (isSelfIntersecting(ring)) this.#state.app.notices.show('This polygon crosses itself; COCO tools may misread it. Fix it in edit mode (V).', 'warning');
    const classId = await this.#state.classForNewShape();
    if (classId === null) return;
    session.create({ classId, geometry: { kind: 'polygon', rings: [ring] } }, 'Draw polygon');
  }

  removeLastPolygonPoint(): void {
    const points = this.#polygonPoints;
    if (!points) return;
    points.splice(-2, 2);
    if (points.length === 0) this.#cancelPolygon();
    else this.#redrawPolygonDraft();
  }

  #cancelPolygon(): void {
    this.#polygonPoints = null;
    this.#redrawPolygonDraft();
  }

  #redrawPolygonDraft(): void {
    const points = this.#polygonPoints;
    this.#polygonDots.destroyChildren();
    if (!points) {
      this.#polygonDraft.visible(false);
      this.#editLayer.batchDraw();
      return;
    }
    const color = this.#state.activeClass?.color ?? '#ffcc00';
    const tail: number[] = this.#pointer ? [this.#pointer.x, this.#pointer.y] : [];
    this.#polygonDraft.points([...points, ...tail]);
    this.#polygonDraft.stroke(color);
    this.#polygonDraft.visible(true);
    const r = 4 / this.#view.scale;
    for (let i = 0; i < points.length; i += 2) {
      this.#polygonDots.add(
        new Konva.Circle({ x: points[i], y: points[i + 1], radius: i === 0 ? r * 1.6 : r, fill: i === 0 ? color : '#fff', stroke: color, strokeWidth: 1, strokeScaleEnabled: false, listening: false }),
      );
    }
    this.#editLayer.batchDraw();
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
    const W = session.image.width, H = session.image.height;
    const radius = this.#state.brushRadius;
    const selected = session.selected;
    if (!erase) {
      const target = selected?.geometry.kind === 'mask' ? selected : null;
      const mask = target && target.geometry.kind === 'mask' ? rleToMask(target.geometry.rle) : new Uint8Array(W * H);
      const changed = stampStroke(mask, W, H, points, radius, 1);
      if (changed === 0) return;
      const geometry: Geometry = { kind: 'mask', rle: rleFromMask(mask, H, W) };
      if (target) session.setGeometry(target.id, geometry, 'Brush');
      else {
        const classId = await this.#state.classForNewShape();
        if (classId === null) return;
        session.create({ classId, geometry }, 'Brush');
      }
      return;
    }
    // The eraser works on the selected mask, or on every mask under the stroke when none is selected.
    const [sx0, sy0, sx1, sy1] = strokeBounds(points, radius);
    const targets = selected?.geometry.kind === 'mask'
      ? [selected]
      : session.annotations.filter((a) => a.geometry.kind === 'mask' && a.bbox[0] <= sx1 && a.bbox[1] <= sy1 && a.bbox[0] + a.bbox[2] >= sx0 && a.bbox[1] + a.bbox[3] >= sy0);
    const ops: AnnotationOp[] = [];
    let emptied = 0;
    for (const a of targets) {
      if (a.geometry.kind !== 'mask') continue;
      const mask = rleToMask(a.geometry.rle);
      if (stampStroke(mask, W, H, points, radius, 0) === 0) continue;
      if (mask.indexOf(1) < 0) {
        ops.push({ op: 'delete', id: a.id });
        emptied++;
      } else ops.push({ op: 'update', id: a.id, patch: { geometry: { kind: 'mask', rle: rleFromMask(mask, H, W) } } });
    }
    if (ops.length === 0) {
      if (targets.length === 0) this.#state.app.notices.show('The eraser removes mask pixels; there is no mask under this stroke.');
      return;
    }
    if (emptied > 0) this.#state.app.notices.show(`${emptied} mask${emptied > 1 ? 's' : ''} erased completely and deleted.`);
    session.edit('Erase', ops);
  }

  // ---------- keys the canvas owns while a gesture is in progress ----------

  /** Returns true when the key was consumed (drafting keys take precedence over app shortcuts). */
  handleKey(e: KeyboardEvent): boolean {
    if (e.code === 'Space') {
      e.preventDefault();
      this.#setSpace(true);
      return true;
    }
    if (this.#polygonPoints) {
      if (e.key === 'Enter') return void this.finishPolygon(), true;
      if (e.key === 'Escape') return this.#cancelPolygon(), true;
      if (e.key === 'Backspace') return this.removeLastPolygonPoint(), true;
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

function strokeBounds(points: number[], r: number): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    x0 = Math.min(x0, points[i]); x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]); y1 = Math.max(y1, points[i + 1]);
  }
  return [x0 - r, y0 - r, x1 + r, y1 + r];
}
