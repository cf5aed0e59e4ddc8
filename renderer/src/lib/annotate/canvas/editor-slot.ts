// The one editor on the canvas: the handles of the selected shape (editors.ts builds them), rebuilt only
// when the selection, its geometry, the tool, its colour or the selected vertex changes.
import type Konva from 'konva';
import type { Annotation } from '../../../../../electron/api.ts';
import type { Tool } from '../annotate.svelte.ts';
import type { ImageSession } from '../session.svelte.ts';
import { boxEditor, maskEditor, polygonEditor, type EditorHost, type ShapeEditor } from './editors.ts';

export interface EditorSlotHost {
  /** The interactive layer; the editor sits at its bottom, under drafts and the cursor. */
  layer: Konva.Layer;
  tool(): Tool;
  colorOf(classId: number): string;
  /** Screen px per image px. */
  scale(): number;
  /** The read-only layer's bitmap of a mask shape, which the mask editor outlines. */
  maskCrop(id: number): Parameters<typeof maskEditor>[0];
  notice(text: string, kind?: 'info' | 'warning' | 'error'): void;
}

export class EditorSlot {
  readonly #host: EditorSlotHost;
  #editor: ShapeEditor | null = null;
  #key: unknown[] = [];

  constructor(host: EditorSlotHost) {
    this.#host = host;
  }

  /** Builds the editor `session`'s selection needs, unless the one shown is already it; returns whether it changed. */
  sync(session: ImageSession | null): boolean {
    const selected = session?.selected ?? null;
    const tool = this.#host.tool();
    const color = selected ? this.#host.colorOf(selected.classId) : '';
    const key = [selected, tool, color, session?.selectedVertex];
    if (key.every((v, i) => v === this.#key[i])) return false;
    this.#key = key;
    this.#editor?.destroy();
    this.#editor = null;
    if (session && selected && (tool === 'select' || selected.geometry.kind === 'mask')) {
      this.#editor = this.#build(session, selected, color);
      this.#host.layer.add(this.#editor.root);
      this.#editor.root.moveToBottom();
      this.#editor.setScale(this.#host.scale());
    }
    return true;
  }

  /** Drops the editor (another image opened). */
  clear(): void {
    this.#editor?.destroy();
    this.#editor = null;
    this.#key = [];
  }

  setScale(scale: number): void {
    this.#editor?.setScale(scale);
  }

  /** Hands the press that selected the shape to its editor, so one press selects and moves. */
  startDrag(): void {
    this.#editor?.dragNode?.startDrag();
  }

  #build(session: ImageSession, a: Annotation, color: string): ShapeEditor {
    const host: EditorHost = {
      imageWidth: session.image.width,
      imageHeight: session.image.height,
      scale: () => this.#host.scale(),
      commit: (id, geometry, label) => session.setGeometry(id, geometry, label),
      selectVertex: (vertex) => (session.selectedVertex = vertex),
      notice: (text, kind) => this.#host.notice(text, kind),
    };
    const g = a.geometry;
    if (g.kind === 'box') return boxEditor(a as Annotation & { geometry: typeof g }, color, host);
    if (g.kind === 'polygon') return polygonEditor(a as Annotation & { geometry: typeof g }, color, session.selectedVertex, host);
    return maskEditor(this.#host.maskCrop(a.id), color);
  }
}
