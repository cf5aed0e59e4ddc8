// `fieldwork train … --config file.json --set key=value --minutes N`: any run-config value from the
// command line (Detectron2's `opts`, Ultralytics' key=value). The result is a nested partial config
// that the trainer's validateRunConfig() checks like any other, so an unknown key or a bad value
// gets the validator's message naming it.
import { readFileSync } from 'node:fs';
import { UserError } from '../services/errors.ts';

export interface TrainConfigArgs {
  /** `--config` path: a JSON object of config values (nested, partial). */
  config?: string;
  /** `--set` values, in order: later ones win. */
  set?: string[];
  /** `--minutes`: a time budget (solver.budgetMinutes). */
  minutes?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A `--set` value: JSON when it parses (numbers, booleans, arrays like [640,800], quoted strings),
 * else the text itself (`backend=wasm`).
 */
export function parseSetValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Puts `value` at the dotted `path` of `into` (creating objects on the way). */
export function setPath(into: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) throw new UserError(`--set ${path}: not a config key path (e.g. solver.baseLr)`);
  let node = into;
  for (const k of keys.slice(0, -1)) {
    if (!isObject(node[k])) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** Deep-merges `over` onto `base` (objects merge; everything else replaces). */
function mergeInto(base: Record<string, unknown>, over: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(over)) {
    if (isObject(v) && isObject(base[k])) mergeInto(base[k] as Record<string, unknown>, v);
    else base[k] = v;
  }
}

/**
 * The config overrides of `--config`, then each `--set`, then `--minutes`. Throws UserError for a
 * file that is missing or not a JSON object, a `--set` without `=`, or a budget that is not a
 * positive number; everything else is left to validateRunConfig().
 */
export function trainOverridesFromArgs(args: TrainConfigArgs, readText: (path: string) => string = (p) => readFileSync(p, 'utf8')): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  if (args.config !== undefined) {
    let text: string;
    try {
      text = readText(args.config);
    } catch (err) {
      throw new UserError(`--config ${args.config}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UserError(`--config ${args.config}: not valid JSON (${(err as Error).message})`);
    }
    if (!isObject(parsed)) throw new UserError(`--config ${args.config}: must hold a JSON object of config values, e.g. {"solver": {"baseLr": 0.04}}`);
    mergeInto(out, parsed);
    any = true;
  }
  for (const item of args.set ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UserError(`--set ${item}: expected key=value, e.g. --set solver.baseLr=0.04`);
    setPath(out, item.slice(0, eq).trim(), parseSetValue(item.slice(eq + 1).trim()));
    any = true;
  }
  if (args.minutes !== undefined) {
    const m = Number(args.minutes);
    if (!Number.isFinite(m) || m <= 0) throw new UserError(`--minutes must be a positive number of minutes, not "${args.minutes}"`);
    setPath(out, 'solver.budgetMinutes', m);
    any = true;
  }
  return any ? out : undefined;
}
