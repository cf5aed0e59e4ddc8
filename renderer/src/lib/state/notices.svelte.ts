import { errorMessage } from '../api/errors.ts';
import { pushNotice } from './notice-stack.ts';

export interface Notice {
  id: number;
  text: string;
  kind: 'info' | 'warning' | 'error';
}

/** Short messages shown at the bottom of the window (refused shapes, failed calls, confirmations). */
export class Notices {
  list = $state<Notice[]>([]);
  #next = 1;

  show(text: string, kind: Notice['kind'] = 'info', ms = kind === 'error' ? 8000 : 4000): void {
    const id = this.#next++;
    this.list = pushNotice(this.list, { id, text, kind });
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number): void {
    this.list = this.list.filter((n) => n.id !== id);
  }

  /** Runs an api call; a failure becomes an error notice and the result null. */
  async guard<T>(call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (err) {
      this.show(errorMessage(err), 'error');
      return null;
    }
  }
}
