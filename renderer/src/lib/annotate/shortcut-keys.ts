// Keyboard shortcuts: the actions, their default keys (Label Studio's where it has one), and the
// canonical text of a key press that bindings are written in.

export const ACTIONS = {
  'tool-select': 'Select / edit tool',
  'tool-box': 'Box tool',
  'tool-polygon': 'Polygon tool',
  'tool-brush': 'Brush tool',
  'tool-eraser': 'Eraser tool',
  'prev-image': 'Previous image',
  'next-image': 'Next image',
  'next-unlabelled': 'Next unlabelled image',
  undo: 'Undo',
  redo: 'Redo',
  delete: 'Delete selected shape (or selected vertex)',
  copy: 'Copy selected shape (all when none selected)',
  paste: 'Paste shapes',
  'cycle-selection': 'Select next shape',
  'cycle-selection-back': 'Select previous shape',
  'hide-others': 'Hide all but the selected shape',
  'brush-smaller': 'Smaller brush',
  'brush-larger': 'Larger brush',
  'to-mask': 'Convert selected polygon or box to a mask',
  'to-polygon': 'Convert selected mask to polygon(s)',
  fit: 'Fit image to window',
  'mark-done': 'Mark image done',
  help: 'Show this help',
} as const;

export type Action = keyof typeof ACTIONS;

export const DEFAULT_BINDINGS: Record<Action, string[]> = {
  'tool-select': ['v'],
  'tool-box': ['r'],
  'tool-polygon': ['p'],
  'tool-brush': ['b'],
  'tool-eraser': ['e'],
  'prev-image': ['d', 'arrowleft'],
  'next-image': ['f', 'arrowright'],
  'next-unlabelled': ['n'],
  undo: ['ctrl+z'],
  redo: ['ctrl+shift+z', 'ctrl+y'],
  delete: ['delete', 'backspace'],
  copy: ['ctrl+c'],
  paste: ['ctrl+v'],
  'cycle-selection': ['tab'],
  'cycle-selection-back': ['shift+tab'],
  'hide-others': ['h'],
  'brush-smaller': ['['],
  'brush-larger': [']'],
  'to-mask': ['m'],
  'to-polygon': ['shift+m'],
  fit: ['0'],
  'mark-done': ['ctrl+enter'],
  help: ['?'],
};

/** Canonical text for a key press: "ctrl+shift+z", "[", "arrowleft". Meta counts as ctrl (macOS). */
export function keyOf(e: KeyboardEvent): string {
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key.toLowerCase();
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push('ctrl');
  if (e.altKey) parts.push('alt');
  // Shift already shapes symbols ("?" is shift+/), so only letters and named keys carry it.
  const symbol = e.key.length === 1 && !/[a-z]/i.test(e.key);
  if (e.shiftKey && !symbol) parts.push('shift');
  if (['control', 'shift', 'alt', 'meta'].includes(key)) return parts.join('+');
  parts.push(key === ' ' ? 'space' : key);
  return parts.join('+');
}

