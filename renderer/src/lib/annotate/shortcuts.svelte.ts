// Remappable shortcuts, persisted in localStorage. The key names and defaults are in shortcut-keys.ts.
import { ACTIONS, DEFAULT_BINDINGS, keyOf, type Action } from './shortcut-keys.ts';

export { ACTIONS, DEFAULT_BINDINGS, keyOf, type Action };

const STORAGE_KEY = 'fieldwork.shortcuts.v1';

export class Shortcuts {
  bindings = $state<Record<Action, string[]>>(structuredClone(DEFAULT_BINDINGS));
  readonly #byKey = $derived(this.#index());

  constructor() {
    try {
      const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<Record<Action, string[]>> | null;
      if (stored) {
        for (const action of Object.keys(ACTIONS) as Action[]) {
          const keys = stored[action];
          if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) this.bindings[action] = keys;
        }
      }
    } catch {
      // Corrupt settings fall back to the defaults.
    }
  }

  #index(): Map<string, Action> {
    const map = new Map<string, Action>();
    for (const [action, keys] of Object.entries(this.bindings) as [Action, string[]][]) for (const key of keys) map.set(key, action);
    return map;
  }

  actionFor(e: KeyboardEvent): Action | null {
    return this.#byKey.get(keyOf(e)) ?? null;
  }

  /** Binds `key` to `action` alone; the key is taken away from any other action. */
  rebind(action: Action, key: string): void {
    for (const other of Object.keys(this.bindings) as Action[]) {
      this.bindings[other] = this.bindings[other].filter((k) => k !== key);
    }
    this.bindings[action] = [key];
    this.#persist();
  }

  reset(): void {
    this.bindings = structuredClone(DEFAULT_BINDINGS);
    localStorage.removeItem(STORAGE_KEY);
  }

  #persist(): void {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.bindings));
  }
}
