import { errorMessage } from '../api/errors.ts';
import { annotateProbe } from './probe.ts';

export type SaveStatus = 'saved' | 'saving' | 'error';

/**
 * Every edit goes to the store at once, one at a time and in order, so the project on disk is never more
 * than the edit in flight behind the screen. The status drives the saved / saving / error indicator.
 */
export class SaveQueue {
  pending = $state(0);
  error = $state<string | null>(null);
  #tail: Promise<void> = Promise.resolve();

  get status(): SaveStatus {
    if (this.pending > 0) return 'saving';
    return this.error ? 'error' : 'saved';
  }

  run(task: () => Promise<void>): void {
    this.pending++;
    let started = 0;
    this.#tail = this.#tail
      .then(() => {
        started = performance.now();
        return task();
      })
      .then(
        () => {
          this.error = null;
        },
        (err: unknown) => {
          this.error = errorMessage(err);
        },
      )
      .finally(() => {
        annotateProbe().saved?.(performance.now() - started);
        this.pending--;
      });
  }

  /** Resolves when everything queued so far is written (or failed). */
  idle(): Promise<void> {
    return this.#tail;
  }
}
