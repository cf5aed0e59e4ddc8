// Unlimited undo/redo of edits. An entry pairs the operations that made an edit with the operations
// that revert it; both are sent to the store as one annotations.apply call (one transaction).
import type { AnnotationOp } from '../../../../electron/api.ts';

export interface HistoryEntry {
  label: string;
  forward: AnnotationOp[];
  inverse: AnnotationOp[];
}

export class UndoStack {
  #done: HistoryEntry[] = [];
  #undone: HistoryEntry[] = [];

  push(entry: HistoryEntry): void {
    this.#done.push(entry);
    this.#undone = [];
  }

  /** The entry to revert (send its `inverse`), moved onto the redo side. */
  undo(): HistoryEntry | null {
    const entry = this.#done.pop();
    if (!entry) return null;
    this.#undone.push(entry);
    return entry;
  }

  /** The entry to re-apply (send its `forward`), moved back onto the undo side. */
  redo(): HistoryEntry | null {
    const entry = this.#undone.pop();
    if (!entry) return null;
    this.#done.push(entry);
    return entry;
  }

  /** Forgets the last entry without reverting it (its edit failed to save). */
  dropLast(): void {
    this.#done.pop();
  }

  get canUndo(): boolean {
    return this.#done.length > 0;
  }

  get canRedo(): boolean {
    return this.#undone.length > 0;
  }

  get size(): number {
    return this.#done.length;
  }
}
