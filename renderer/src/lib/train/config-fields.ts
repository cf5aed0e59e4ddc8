// The advanced panel lists every value of a preset's RunConfig as an editable field; the fields the
// user changed become TrainOptions.overrides (nested, partial), which the trainer's config validates.
import { BACKEND_CHOICES, type RunConfig } from '../../../../trainer/common/config.ts';

export type ConfigEdits = Record<string, unknown>;

export interface ConfigField {
  /** Dotted path, e.g. 'solver.baseLr'. */
  path: string;
  group: string;
  key: string;
  kind: 'number' | 'boolean' | 'list' | 'choice';
  value: unknown;
  choices?: readonly string[];
}

/** Set separately (preset picker, run length), so not repeated in the advanced panel. */
const OUTSIDE_PANEL = new Set(['preset', 'solver.epochs']);
const CHOICES: Record<string, readonly string[]> = { backend: BACKEND_CHOICES };

export function configFields(config: RunConfig): ConfigField[] {
  const fields: ConfigField[] = [];
  const visit = (value: unknown, path: string[]) => {
    const dotted = path.join('.');
    if (OUTSIDE_PANEL.has(dotted)) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
      return;
    }
    const group = path.length > 1 ? path[0] : 'general';
    const key = path.length > 1 ? path.slice(1).join('.') : path[0];
    const kind = CHOICES[dotted] ? 'choice' : Array.isArray(value) ? 'list' : typeof value === 'boolean' ? 'boolean' : 'number';
    fields.push({ path: dotted, group, key, kind, value, choices: CHOICES[dotted] });
  };
  visit(config, []);
  return fields;
}

/** Parses what the user typed into a list field ("32, 64, 128"); null when it is not a list of numbers. */
export function parseList(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean).map(Number);
  return parts.length > 0 && parts.every(Number.isFinite) ? parts : null;
}

/** { 'solver.baseLr': 0.04 } → { solver: { baseLr: 0.04 } } */
export function overridesFrom(edits: ConfigEdits): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(edits)) {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
  }
  return out;
}
