// The read-only shapes of the open image on their own layer. At the zooms where it fits, they are cached
// into one bitmap at the current zoom, so a pan frame draws one image instead of a thousand paths;
// closer in, off-screen shapes are culled instead.
import Konva from 'konva';
import type { ImageSession } from '../session.svelte.ts';
import { buildStaticShape, type StaticShape } from './static-shapes.ts';
import { visibleRect, type ViewTransform } from './view-transform.ts';

/** Largest bitmap (per side, and in total) the read-only shapes are cached into. */
const MAX_CACHE_SIDE = 8192;
const MAX_CACHE_PIXELS = 16_000_000;

export interface StaticLayerHost {
  session(): ImageSession | null;
  view(): ViewTransform;
  /** The stage's size in screen pixels. */
  stageSize(): { width: number; height: number };
  /** The shape the edit layer shows instead (the selected one with the select tool), if any. */
  editingId(): number | null;
  colorOf(classId: number): string;
}

export class StaticLayer {
  readonly layer = new Konva.Layer({ listening: false });
  readonly #host: StaticLayerHost;
  readonly #nodes = new Map<number, StaticShape>();
  readonly #group = new Konva.Group({ listening: false });
  #cached = false;
  /** What the cache holds (zoom and visible nodes), to skip redrawing it when nothing it shows changed. */
  #cacheKey = '';
  /** The zoom the shapes' line width and cache were made for. */
  #drawnScale = 1;
  #refreshQueued = false;

  constructor(host: StaticLayerHost) {
    this.#host = host;
    this.layer.add(this.#group);
  }

  get cached(): boolean {
    return this.#cached;
  }

  /** The zoom the shapes were last drawn for. */
  get drawnScale(): number {
    return this.#drawnScale;
  }

  shape(id: number): StaticShape | undefined {
    return this.#nodes.get(id);
  }

  shapes(): IterableIterator<StaticShape> {
    return this.#nodes.values();
  }

  clear(): void {
    for (const entry of this.#nodes.values()) entry.node.destroy();
    this.#nodes.clear();
  }

  /** Builds nodes for new or changed annotations and drops those of removed ones. */
  sync(): void {
    const session = this.#host.session();
    if (!session) return;
    const seen = new Set<number>();
    for (const annotation of session.annotations) {
      seen.add(annotation.id);
      const color = this.#host.colorOf(annotation.classId);
      let entry = this.#nodes.get(annotation.id);
      if (entry && (entry.annotation !== annotation || entry.color !== color)) {
        entry.node.destroy();
        entry = undefined;
      }
      if (!entry) {
        entry = buildStaticShape(annotation, color, () => 1.5 / this.#drawnScale);
        this.#nodes.set(annotation.id, entry);
        this.#group.add(entry.node);
      }
    }
    for (const [id, entry] of this.#nodes) {
      if (!seen.has(id)) {
        entry.node.destroy();
        this.#nodes.delete(id);
      }
    }
    this.requestRefresh();
  }

  /** Shape and selection changes often come together; redraw the cache once for both. */
  requestRefresh(): void {
    if (this.#refreshQueued) return;
    this.#refreshQueued = true;
    queueMicrotask(() => {
      this.#refreshQueued = false;
      this.refresh();
    });
  }

  /** The view moved: uncached shapes keep their line width at the new zoom and are culled again. */
  viewChanged(scale: number): void {
    if (this.#cached) return;
    this.#drawnScale = scale;
    this.cull();
  }

  /** Redraws the shapes for the current zoom: into one cached bitmap when it fits, else culled. */
  refresh(): void {
    const session = this.#host.session();
    if (!session) return;
    const { width, height } = session.image;
    const view = this.#host.view();
    const ratio = view.scale * devicePixelRatio;
    const side = Math.max(width, height) * ratio;
    this.#drawnScale = view.scale;
    this.#cached = this.#nodes.size > 0 && side <= MAX_CACHE_SIDE && width * height * ratio * ratio <= MAX_CACHE_PIXELS;
    this.cull();
    if (this.#cached) {
      // Editing the selected shape happens on the edit layer; the cache only changes when what it shows does.
      let key = `${ratio}`;
      for (const { node } of this.#nodes.values()) if (node.visible()) key += `,${node._id}`;
      if (key === this.#cacheKey && this.#group.isCached()) return;
      this.#cacheKey = key;
      const margin = 4 / view.scale;
      this.#group.clearCache();
      this.#group.cache({ x: -margin, y: -margin, width: width + 2 * margin, height: height + 2 * margin, pixelRatio: ratio });
    } else {
      this.#cacheKey = '';
      this.#group.clearCache();
    }
    this.layer.batchDraw();
  }

  /** Hides shapes outside the viewport (Konva would still walk and draw them), hidden ones, and the one being edited. */
  cull(): void {
    const session = this.#host.session();
    if (!session) return;
    const { width, height } = this.#host.stageSize();
    const { x0, y0, x1, y1 } = visibleRect(this.#host.view(), width, height);
    const selected = session.selectedId;
    const editing = this.#host.editingId();
    for (const [id, { annotation, node }] of this.#nodes) {
      const [bx, by, bw, bh] = annotation.bbox;
      const onScreen = this.#cached || (bx <= x1 && by <= y1 && bx + bw >= x0 && by + bh >= y0);
      const hidden = (session.hideOthers && id !== selected) || (id === editing && annotation.geometry.kind !== 'mask');
      const visible = onScreen && !hidden;
      if (node.visible() !== visible) node.visible(visible);
    }
  }
}
