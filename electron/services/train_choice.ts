// The Train screen's last choice (preset, run length, edited config values), one per project, in the
// project's meta table: a reload or a reopened project shows what the user chose. Checked on the way in,
// so a bad value from a caller never lands; the config values themselves are validated when a run starts.
import type { TrainChoice } from '../api.ts';
import { PRESETS, type PresetName } from '../../trainer/common/config.ts';
import { UserError } from './errors.ts';
import type { Project } from './project.ts';

const KEY = 'train_choice';
/** Far above any real set of edits (a few dozen values); keeps one call from filling the database. */
const MAX_BYTES = 64 * 1024;

const positiveOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0);

/** `value` as a TrainChoice, or a UserError saying which part is wrong. */
export function checkTrainChoice(value: unknown): TrainChoice {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UserError('A train choice must be an object with preset, epochs, budgetMinutes and edits.');
  const c = value as Record<string, unknown>;
  if (typeof c.preset !== 'string' || !Object.hasOwn(PRESETS, c.preset)) throw new UserError(`Unknown preset ${JSON.stringify(c.preset)}: choose one of ${Object.keys(PRESETS).join(', ')}.`);
  if (!positiveOrNull(c.epochs)) throw new UserError(`epochs must be a positive number or null, not ${JSON.stringify(c.epochs)}.`);
  if (!positiveOrNull(c.budgetMinutes)) throw new UserError(`budgetMinutes must be a positive number or null, not ${JSON.stringify(c.budgetMinutes)}.`);
  if (!c.edits || typeof c.edits !== 'object' || Array.isArray(c.edits)) throw new UserError('edits must be an object of config values by dotted path.');
  for (const path of Object.keys(c.edits)) {
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(path)) throw new UserError(`${JSON.stringify(path)} is not a dotted config path.`);
  }
  const choice: TrainChoice = { preset: c.preset as PresetName, epochs: c.epochs as number | null, budgetMinutes: c.budgetMinutes as number | null, edits: c.edits as Record<string, unknown> };
  const bytes = Buffer.byteLength(JSON.stringify(choice));
  if (bytes > MAX_BYTES) throw new UserError(`The train choice is ${bytes} bytes; at most ${MAX_BYTES} are kept.`);
  return choice;
}

export function saveTrainChoice(project: Project, choice: unknown): void {
  project.setMeta(KEY, JSON.stringify(checkTrainChoice(choice)));
}

/** The saved choice; null when none was saved or what is stored no longer checks (e.g. a preset since renamed). */
export function readTrainChoice(project: Project): TrainChoice | null {
  const raw = project.meta(KEY);
  if (raw === undefined) return null;
  try {
    return checkTrainChoice(JSON.parse(raw));
  } catch {
    return null;
  }
}
