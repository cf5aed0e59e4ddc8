// Pointer routing for the canvas: a press starts one gesture for the active tool (pan, box draw, brush or
// eraser stroke; select and polygon clicks go straight to the host), moves update it, release finishes it.
// Also the pointer's look: the brush footprint cursor and the space-held pan mode. What a finished
// gesture does to the model is the host's (shape-commits.ts); the editors' handles drag themselves.
import Konva from 'konva';
import type { Tool } from '../annotate.svelte.ts';
import type { ImageSession } from '../session.svelte.ts';
import { withAlpha } from './static-shapes.ts';
import { toImage, type ViewTransform } from './view-transform.ts';

type Point = { x: number; y: number };

type Gesture =
  | { kind: 'pan'; sx: number; sy: number; view: ViewTransform }
  | { kind: 'box'; x0: number; y0: number; sx: number; sy: number; rect: Konva.Rect }
  | { kind: 'stroke'; points: number[]; line: Konva.Line; erase: boolean };

export interface GestureHost {
  stage: Konva.Stage;
  /** The interactive layer: the selected shape's editor, drafts and the brush cursor. */
  editLayer: Konva.Layer;
  container: HTMLElement;
  session(): ImageSession | null;
  tool(): Tool;
  brushRadius(): number;
  /** The active class's colour, for drafts. */
  color(): string;
  view(): ViewTransform;
  setView(view: ViewTransform): void;
  /** A press or click at `p` (image px) that selects; `startDrag`: the same press may move the shape. */
  selectAt(p: Point, startDrag: boolean): void;
  polygonClick(p: Point): void;
  /** The pointer moved (image px in `pointer`): redraw what follows it. */
  pointerMoved(): void;
  boxDrawn(session: ImageSession, x0: number, y0: number, x1: number, y1: number): void;
  strokeDrawn(session: ImageSession, points: number[], erase: boolean): void;
}

export class PointerGestures {
  readonly #host: GestureHost;
  readonly #cursor = new Konva.Circle({ radius: 10, stroke: '#fff', strokeWidth: 1, strokeScaleEnabled: false, listening: false, visible: false, dash: [4, 3] });
  #gesture: Gesture | null = null;
  #pointer: Point | null = null;
  #spaceHeld = false;

  constructor(host: GestureHost) {
    this.#host = host;
    host.editLayer.add(this.#cursor);
  }

  /** Routes the stage's and window's pointer events here (`listen` also removes them with the view). */
  attach(listen: (target: EventTarget, type: string, handler: (e: Event) => void) => void): void {
    this.#host.stage.on('mousedown', (e) => this.#down(e));
    listen(window, 'mousemove', (e) => this.#move(e as MouseEvent));
    listen(window, 'mouseup', (e) => this.#up(e as MouseEvent));
    listen(this.#host.container, 'mouseleave', () => this.#setCursorVisible(false));
    listen(window, 'keyup', (e) => {
      if ((e as KeyboardEvent).code === 'Space') this.setSpace(false);
    });
    listen(window, 'blur', () => this.setSpace(false));
  }

  /** Where the pointer last was over the window, in image pixels. */
  get pointer(): Point | null {
    return this.#pointer;
  }

  /** Forgets a gesture in progress without finishing it (the image changed). */
  reset(): void {
    this.#gesture = null;
  }

  /** Esc during a box or stroke drops it; returns true when there was one. */
  cancelDrawing(): boolean {
    const g = this.#gesture;
    if (!g || g.kind === 'pan') return false;
    if (g.kind === 'box') g.rect.destroy();
    else g.line.destroy();
    this.#gesture = null;
    this.#host.editLayer.batchDraw();
    return true;
  }

  setSpace(held: boolean): void {
    if (this.#spaceHeld === held) return;
    this.#spaceHeld = held;
    // While space is held every press pans, including presses on the editor's handles.
    this.#host.editLayer.listening(!held);
    this.#host.container.style.cursor = held ? 'grab' : '';
  }

  /** The pointer's look for the tool; `over`: whether the pointer is over the canvas (unknown: as it was). */
  updateCursor(over?: boolean): void {
    const tool = this.#host.tool();
    const brush = tool === 'brush' || tool === 'eraser';
    this.#cursor.radius(this.#host.brushRadius());
    if (this.#pointer) this.#cursor.position(this.#pointer);
    if (over !== undefined) this.#setCursorVisible(brush && over);
    else this.#setCursorVisible(brush && this.#cursor.visible());
    this.#host.container.style.cursor = this.#spaceHeld ? 'grab' : brush ? 'none' : tool === 'select' ? 'default' : 'crosshair';
  }

  #setCursorVisible(visible: boolean): void {
    if (this.#cursor.visible() === visible) return;
    this.#cursor.visible(visible);
    this.#host.editLayer.batchDraw();
  }

  #screenPoint(e: MouseEvent): Point {
    const rect = this.#host.container.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  #imagePoint(e: MouseEvent): Point {
    const s = this.#screenPoint(e);
    return toImage(this.#host.view(), s.x, s.y);
  }

  #down(e: Konva.KonvaEventObject<MouseEvent>): void {
    const host = this.#host;
    const evt = e.evt;
    if (!host.session()) return;
    const screen = this.#screenPoint(evt);
    if (evt.button === 1 || (evt.button === 0 && this.#spaceHeld)) {
      evt.preventDefault();
      this.#gesture = { kind: 'pan', sx: screen.x, sy: screen.y, view: host.view() };
      host.container.style.cursor = 'grabbing';
      return;
    }
    if (evt.button !== 0) return;
    const onEditor = e.target !== host.stage && e.target.getLayer() === host.editLayer;
    const p = this.#imagePoint(evt);
    const tool = host.tool();
    switch (tool) {
      case 'select':
        if (!onEditor) host.selectAt(p, true);
        break;
      case 'box': {
        const color = host.color();
        const rect = new Konva.Rect({ x: p.x, y: p.y, width: 0, height: 0, stroke: color, strokeWidth: 1.5, strokeScaleEnabled: false, dash: [6, 3], listening: false, fill: withAlpha(color, 0.15) });
        host.editLayer.add(rect);
        this.#gesture = { kind: 'box', x0: p.x, y0: p.y, sx: screen.x, sy: screen.y, rect };
        break;
      }
      case 'polygon':
        host.polygonClick(p);
        break;
      case 'brush':
      case 'eraser': {
        const erase = tool === 'eraser';
        const color = erase ? '#ffffff' : host.color();
        const line = new Konva.Line({
          points: [p.x, p.y, p.x, p.y],
          stroke: withAlpha(color, erase ? 0.5 : 0.55),
          strokeWidth: host.brushRadius() * 2,
          lineCap: 'round',
          lineJoin: 'round',
          listening: false,
        });
        host.editLayer.add(line);
        line.moveToTop();
        this.#cursor.moveToTop();
        this.#gesture = { kind: 'stroke', points: [p.x, p.y], line, erase };
        host.editLayer.batchDraw();
        break;
      }
    }
  }

  #move(e: MouseEvent): void {
    const host = this.#host;
    if (!host.session()) return;
    const gesture = this.#gesture;
    const p = this.#imagePoint(e);
    this.#pointer = p;
    if (gesture?.kind === 'pan') {
      const s = this.#screenPoint(e);
      host.setView({ ...gesture.view, x: gesture.view.x + s.x - gesture.sx, y: gesture.view.y + s.y - gesture.sy });
      return;
    }
    if (gesture?.kind === 'box') {
      gesture.rect.setAttrs({ x: Math.min(gesture.x0, p.x), y: Math.min(gesture.y0, p.y), width: Math.abs(p.x - gesture.x0), height: Math.abs(p.y - gesture.y0) });
    } else if (gesture?.kind === 'stroke') {
      const pts = gesture.points;
      const lx = pts[pts.length - 2], ly = pts[pts.length - 1];
      if (Math.hypot(p.x - lx, p.y - ly) >= Math.max(0.5, host.brushRadius() / 4)) {
        pts.push(p.x, p.y);
        gesture.line.points(pts.length === 2 ? [...pts, ...pts] : pts);
      }
    }
    host.pointerMoved();
    const s = this.#screenPoint(e);
    const over = s.x >= 0 && s.y >= 0 && s.x <= host.stage.width() && s.y <= host.stage.height();
    this.updateCursor(over);
    host.editLayer.batchDraw();
  }

  #up(e: MouseEvent): void {
    const host = this.#host;
    const gesture = this.#gesture;
    const session = host.session();
    if (!gesture || !session) return;
    this.#gesture = null;
    if (gesture.kind === 'pan') {
      host.container.style.cursor = this.#spaceHeld ? 'grab' : '';
      return;
    }
    const p = this.#imagePoint(e);
    if (gesture.kind === 'box') {
      gesture.rect.destroy();
      host.editLayer.batchDraw();
      const s = this.#screenPoint(e);
      if (Math.hypot(s.x - gesture.sx, s.y - gesture.sy) < 3) {
        host.selectAt(p, false); // a click with the box tool selects, it does not draw
        return;
      }
      host.boxDrawn(session, gesture.x0, gesture.y0, p.x, p.y);
    } else {
      gesture.line.destroy();
      host.strokeDrawn(session, gesture.points, gesture.erase);
    }
  }
}
