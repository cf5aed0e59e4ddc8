// The annotation screen's keyboard: the canvas gets first say (polygon drafting, space-to-pan),
// then number keys pick classes, then the remappable shortcuts.
import type { AnnotateState } from './annotate.svelte.ts';
import type { CanvasView } from './canvas/canvas-view.svelte.ts';
import { removeVertex } from '../../../../trainer/common/geometry/polygon.ts';

function typingInField(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  const tag = t.tagName;
  if (tag === 'TEXTAREA' || t.isContentEditable) return true;
  if (tag === 'INPUT') return !['checkbox', 'radio', 'range', 'button', 'color'].includes((t as HTMLInputElement).type);
  return tag === 'SELECT';
}

const BRUSH_STEPS = [1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64, 80, 100, 128, 160, 200];

export function handleAnnotatorKey(e: KeyboardEvent, state: AnnotateState, view: CanvasView | null): void {
  if (state.settingsOpen || typingInField(e)) return;
  if (state.helpOpen) {
    if (e.key === 'Escape' || e.key === '?') state.helpOpen = false;
    e.preventDefault();
    return;
  }
  if (view?.handleKey(e)) return;
  const session = state.session;
  if (/^[1-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
    e.preventDefault();
    state.pickClassByIndex(Number(e.key) - 1);
    return;
  }
  const action = state.shortcuts.actionFor(e);
  if (!action) {
    if (e.key === 'Escape' && session) session.select(null);
    return;
  }
  e.preventDefault();
  switch (action) {
    case 'tool-select': state.tool = 'select'; break;
    case 'tool-box': state.tool = 'box'; break;
    case 'tool-polygon': state.tool = 'polygon'; break;
    case 'tool-brush': state.tool = 'brush'; break;
    case 'tool-eraser': state.tool = 'eraser'; break;
    case 'prev-image': state.step(-1); break;
    case 'next-image': state.step(1); break;
    case 'next-unlabelled': state.nextUnlabelled(); break;
    case 'undo': if (session && !session.undo()) state.notices.show('Nothing to undo.'); break;
    case 'redo': if (session && !session.redo()) state.notices.show('Nothing to redo.'); break;
    case 'delete': deleteSelection(state); break;
    case 'copy': state.copy(); break;
    case 'paste': state.paste(); break;
    case 'cycle-selection': cycle(state, 1); break;
    case 'cycle-selection-back': cycle(state, -1); break;
    case 'hide-others': if (session) session.hideOthers = !session.hideOthers; break;
    case 'brush-smaller': state.brushRadius = [...BRUSH_STEPS].reverse().find((s) => s < state.brushRadius) ?? BRUSH_STEPS[0]; break;
    case 'brush-larger': state.brushRadius = BRUSH_STEPS.find((s) => s > state.brushRadius) ?? BRUSH_STEPS[BRUSH_STEPS.length - 1]; break;
    case 'to-mask': state.toMask(); break;
    case 'to-polygon': state.toPolygon(); break;
    case 'fit': view?.fit(); break;
    case 'mark-done': void state.setStatus('done'); break;
    case 'help': state.helpOpen = true; break;
  }
}

function deleteSelection(state: AnnotateState): void {
  const session = state.session;
  const selected = session?.selected;
  if (!session || !selected) return;
  const vertex = session.selectedVertex;
  if (vertex && selected.geometry.kind === 'polygon' && state.tool === 'select') {
    const ring = selected.geometry.rings[vertex.ring];
    const shorter = ring ? removeVertex(ring, vertex.index) : null;
    if (!shorter) return state.notices.show('A polygon needs at least 3 points; press Delete again with no vertex picked to delete the shape.', 'warning'), void (session.selectedVertex = null);
    session.setGeometry(selected.id, { kind: 'polygon', rings: selected.geometry.rings.map((r, k) => (k === vertex.ring ? shorter : r)) }, 'Remove vertex');
    session.selectedVertex = null;
    return;
  }
  session.remove([selected.id]);
}

function cycle(state: AnnotateState, delta: number): void {
  const session = state.session;
  if (!session || session.annotations.length === 0) return;
  const list = session.annotations;
  const at = list.findIndex((a) => a.id === session.selectedId);
  const next = at < 0 ? (delta > 0 ? 0 : list.length - 1) : (at + delta + list.length) % list.length;
  session.select(list[next].id);
}
