// Which model changes redraw which part of the canvas: one $effect per part, each reading only what that
// part shows and then calling it untracked (Konva is imperative; the effects only drive it). Created with
// the view; the function returned destroys them.
import { untrack } from 'svelte';
import type { AnnotateState } from '../annotate.svelte.ts';
import type { ImageSession } from '../session.svelte.ts';

export interface ModelSyncTargets {
  /** Another image (or none) was opened. */
  showSession(session: ImageSession | null): void;
  /** The read-only shapes: their list, selection, hide-others, class colours or the tool changed. */
  syncShapes(): void;
  /** The selected shape's editor: its selection, vertex, the tool or the class colours changed. */
  syncEditor(): void;
  /** The tool or the brush size changed. */
  toolChanged(): void;
}

/** The reactive fields of the annotation state the canvas shows. */
export type CanvasModel = Pick<AnnotateState, 'session' | 'project' | 'tool' | 'brushRadius'>;

export function syncModelToCanvas(model: CanvasModel, targets: ModelSyncTargets): () => void {
  return $effect.root(() => {
    $effect(() => {
      const session = model.session;
      untrack(() => targets.showSession(session));
    });
    $effect(() => {
      const session = model.session;
      if (!session) return;
      void session.annotations;
      void session.selectedId;
      void session.hideOthers;
      void model.project.classes;
      void model.tool;
      untrack(() => targets.syncShapes());
    });
    $effect(() => {
      const session = model.session;
      void session?.selected;
      void session?.selectedVertex;
      void model.tool;
      void model.project.classes;
      untrack(() => targets.syncEditor());
    });
    $effect(() => {
      void model.tool;
      void model.brushRadius;
      untrack(() => targets.toolChanged());
    });
  });
}
