// Editable Konva nodes for the one selected shape. They follow the pointer freely while dragging and
// write back to the model only on dragend / transformend, so a drag is one edit and one undo step.
import Konva from 'konva';
import type { Annotation, Geometry } from '../../../../../electron/api.ts';
import {
  isSelfIntersecting,
  moveVertex,
  nearestEdge,
  removeVertex,
  insertVertex,
  roundRing,
  translateRings,
} from '../../../../../trainer/common/geometry/polygon.ts';
import type { MaskCrop } from '../../../../../trainer/common/geometry/mask.ts';
import { ringsSceneFunc, withAlpha } from './static-shapes.ts';

export interface EditorHost {
  readonly imageWidth: number;
  readonly imageHeight: number;
  scale(): number;
  commit(id: number, geometry: Geometry, label: string): void;
  selectVertex(vertex: { ring: number; index: number } | null): void;
  notice(text: string, kind?: 'info' | 'warning' | 'error'): void;
}

export interface ShapeEditor {
  readonly root: Konva.Group;
  /** The node a press on the shape should start dragging (moves the whole shape). */
  readonly dragNode: Konva.Node | null;
  /** Keeps handles a constant size on screen. */
  setScale(scale: number): void;
  destroy(): void;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

function clampBox(x: number, y: number, w: number, h: number, W: number, H: number): [number, number, number, number] {
  const x0 = Math.max(0, Math.min(W, x)), y0 = Math.max(0, Math.min(H, y));
  const x1 = Math.max(0, Math.min(W, x + w)), y1 = Math.max(0, Math.min(H, y + h));
  return [round2(x0), round2(y0), round2(x1 - x0), round2(y1 - y0)];
}

export function boxEditor(annotation: Annotation & { geometry: { kind: 'box' } }, color: string, host: EditorHost): ShapeEditor {
  const [x, y, width, height] = annotation.geometry.bbox;
  const root = new Konva.Group();
  const rect = new Konva.Rect({
    x, y, width, height,
    name: 'editor',
    draggable: true,
    stroke: color,
    strokeWidth: 2,
    strokeScaleEnabled: false,
    fill: withAlpha(color, 0.2),
  });
  const transformer = new Konva.Transformer({
    nodes: [rect],
    rotateEnabled: false,
    flipEnabled: false,
    keepRatio: false,
    ignoreStroke: true,
    anchorSize: 9,
    borderStroke: color,
    anchorStroke: color,
  });
  root.add(rect, transformer);
  const commit = (label: string) => {
    const bbox = clampBox(rect.x(), rect.y(), rect.width() * rect.scaleX(), rect.height() * rect.scaleY(), host.imageWidth, host.imageHeight);
    if (bbox[2] < 1 || bbox[3] < 1) {
      host.notice('A box must be at least 1 pixel wide and high; the change was not kept.', 'warning');
      rect.setAttrs({ x, y, width, height, scaleX: 1, scaleY: 1 });
      return;
    }
    host.commit(annotation.id, { kind: 'box', bbox }, label);
  };
  rect.on('dragend', () => commit('Move box'));
  rect.on('transformend', () => commit('Resize box'));
  return { root, dragNode: rect, setScale: () => {}, destroy: () => root.destroy() };
}

export function polygonEditor(
  annotation: Annotation & { geometry: { kind: 'polygon' } },
  color: string,
  selectedVertex: { ring: number; index: number } | null,
  host: EditorHost,
): ShapeEditor {
  let rings = annotation.geometry.rings.map((r) => r.slice());
  const root = new Konva.Group({ draggable: true, name: 'editor' });
  const outline = new Konva.Shape({
    name: 'editor',
    sceneFunc: ringsSceneFunc(() => rings),
    fill: withAlpha(color, 0.3),
    stroke: color,
    strokeWidth: 2,
    strokeScaleEnabled: false,
    hitStrokeWidth: 12,
  });
  root.add(outline);
  const handles: Konva.Circle[] = [];
  rings.forEach((ring, r) => {
    for (let i = 0; i < ring.length / 2; i++) {
      const picked = selectedVertex?.ring === r && selectedVertex.index === i;
      const handle = new Konva.Circle({
        name: 'editor vertex',
        x: ring[2 * i],
        y: ring[2 * i + 1],
        radius: 5,
        fill: picked ? color : '#ffffff',
        stroke: picked ? '#ffffff' : color,
        strokeWidth: 1.5,
        strokeScaleEnabled: false,
        draggable: true,
        hitStrokeWidth: 6,
      });
      handle.on('dragmove', () => {
        rings[r] = moveVertex(rings[r], i, handle.x(), handle.y());
        outline.getLayer()?.batchDraw();
      });
      handle.on('dragend', (e) => {
        e.cancelBubble = true;
        const x = Math.max(0, Math.min(host.imageWidth, handle.x()));
        const y = Math.max(0, Math.min(host.imageHeight, handle.y()));
        const next = annotation.geometry.rings.map((ring, k) => (k === r ? roundRing(moveVertex(ring, i, x, y)) : ring));
        if (isSelfIntersecting(next[r])) host.notice('This polygon now crosses itself; COCO tools may misread it.', 'warning');
        host.commit(annotation.id, { kind: 'polygon', rings: next }, 'Move vertex');
      });
      handle.on('click', (e) => {
        e.cancelBubble = true;
        if (e.evt.altKey) {
          const shorter = removeVertex(annotation.geometry.rings[r], i);
          if (!shorter) return host.notice('A polygon needs at least 3 points; delete the shape instead.', 'warning');
          const next = annotation.geometry.rings.map((ring, k) => (k === r ? shorter : ring));
          host.commit(annotation.id, { kind: 'polygon', rings: next }, 'Remove vertex');
        } else {
          host.selectVertex({ ring: r, index: i });
        }
      });
      handles.push(handle);
      root.add(handle);
    }
  });
  // A click on an edge (not a drag) inserts a vertex there.
  outline.on('click', (e) => {
    if (e.evt.button !== 0) return;
    const p = outline.getRelativePointerPosition();
    if (!p) return;
    const scale = host.scale();
    let best = { ring: -1, edge: -1, distance: Infinity };
    annotation.geometry.rings.forEach((ring, r) => {
      const hit = nearestEdge(ring, p.x, p.y);
      if (hit.distance < best.distance) best = { ring: r, edge: hit.edge, distance: hit.distance };
    });
    if (best.ring < 0 || best.distance * scale > 8) return;
    const next = annotation.geometry.rings.map((ring, k) => (k === best.ring ? roundRing(insertVertex(ring, best.edge, p.x, p.y)) : ring));
    host.commit(annotation.id, { kind: 'polygon', rings: next }, 'Insert vertex');
    host.selectVertex({ ring: best.ring, index: best.edge + 1 });
  });
  root.on('dragend', (e) => {
    if ((e.target as Konva.Node) !== root) return;
    const dx = root.x(), dy = root.y();
    if (dx === 0 && dy === 0) return;
    host.commit(annotation.id, { kind: 'polygon', rings: translateRings(annotation.geometry.rings, dx, dy).map(roundRing) }, 'Move polygon');
  });
  return {
    root,
    dragNode: root,
    setScale(scale: number) {
      for (const h of handles) h.radius(5 / scale);
    },
    destroy: () => root.destroy(),
  };
}

/** Masks are edited with the brush and eraser; selection shows their extent. */
export function maskEditor(crop: MaskCrop | null, color: string): ShapeEditor {
  const root = new Konva.Group({ listening: false });
  if (crop) {
    root.add(
      new Konva.Rect({
        x: crop.x, y: crop.y, width: crop.w, height: crop.h,
        stroke: color, strokeWidth: 1.5, dash: [6, 4], strokeScaleEnabled: false, listening: false,
      }),
    );
  }
  return { root, dragNode: null, setScale: () => {}, destroy: () => root.destroy() };
}
