// `fieldwork split`: assign (grouped by source photo, stratified by class), freeze, unfreeze, move images by
// file name, undo — the same services as the app's Splits panel. Prints the counts before and after.
import { parseArgs } from 'node:util';
import type { Split, SplitPlan, SplitState } from '../api.ts';
import { UserError } from '../services/errors.ts';
import { Project } from '../services/project.ts';
import { assignSplits, isSplit, previewSplits, setFrozen, setSplit, splitState, undoSplits } from '../services/splits.ts';
import { plural } from '../../trainer/common/plural.ts';

export const SPLIT_USAGE = `  fieldwork split <project-dir> [--assign [--seed S] [--train 0.8 --val 0.1 --test 0.1] [--reassign-imported] [--dry-run]]
                  [--set <split> <image-file-name>...] [--undo] [--freeze | --unfreeze] [--json]`;

type Out = { log: (line: string) => void; error: (line: string) => void };

/** Usage errors return 2 with the reason; bad input throws UserError (exit 1 in the caller). */
export async function splitCommand(args: string[], out: Out): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        assign: { type: 'boolean' }, seed: { type: 'string' }, train: { type: 'string' }, val: { type: 'string' }, test: { type: 'string' },
        'reassign-imported': { type: 'boolean' }, 'dry-run': { type: 'boolean' }, set: { type: 'string' }, undo: { type: 'boolean' },
        freeze: { type: 'boolean' }, unfreeze: { type: 'boolean' }, json: { type: 'boolean' },
      },
    });
  } catch (err) {
    return usage(out, (err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length < 1) return usage(out, 'give the project folder');
  const actions = [v.assign, v.set !== undefined, v.undo, v.freeze, v.unfreeze].filter(Boolean).length;
  if (actions > 1) return usage(out, 'give one of --assign, --set, --undo, --freeze, --unfreeze');
  if (v.set === undefined && positionals.length > 1) return usage(out, 'image file names go with --set <split>');
  if (v.set !== undefined && !isSplit(v.set)) return usage(out, `--set must be train, val or test, not "${v.set}"`);
  if (v.set !== undefined && positionals.length < 2) return usage(out, '--set needs at least one image file name');
  const ratio = (flag: 'train' | 'val' | 'test', fallback: number) => {
    if (v[flag] === undefined) return fallback;
    const n = Number(v[flag]);
    if (!Number.isFinite(n) || n < 0) throw new UserError(`--${flag} must be a number ≥ 0, not "${v[flag]}"`);
    return n;
  };
  const seed = v.seed === undefined ? 1 : Number(v.seed);
  if (!Number.isInteger(seed)) return usage(out, `--seed must be a whole number, not "${v.seed}"`);

  const project = Project.open(positionals[0]);
  try {
    const before = splitState(project);
    let after: SplitState = before;
    let plan: SplitPlan | undefined;
    if (v.assign) {
      const ratios = { train: ratio('train', 0.8), val: ratio('val', 0.1), test: ratio('test', 0.1) };
      const options = { keepImported: !v['reassign-imported'] };
      plan = await previewSplits(project, ratios, seed, options);
      if (!v['dry-run']) after = await assignSplits(project, ratios, seed, options);
    } else if (v.set !== undefined) {
      const names = positionals.slice(1);
      const find = project.db.prepare('SELECT id FROM images WHERE file_name = ?');
      const ids = names.flatMap((name) => {
        const rows = find.all(name) as { id: number }[];
        if (rows.length === 0) throw new UserError(`No image named ${name} in this project.`);
        return rows.map((r) => r.id);
      });
      after = setSplit(project, ids, v.set as Split);
    } else if (v.undo) after = undoSplits(project);
    else if (v.freeze || v.unfreeze) after = setFrozen(project, Boolean(v.freeze));

    if (v.json) out.log(JSON.stringify({ before, after, plan }));
    else {
      const line = (s: Record<Split, number>) => `train ${s.train}, val ${s.val}, test ${s.test}`;
      if (plan) {
        out.log(`${v['dry-run'] ? 'would assign' : 'assigned'} ${plural(plan.units, 'unit')} (${plural(plan.groupedImages, 'image')} in groups of copies of one photo), ${plural(plan.moved, 'image')} ${v['dry-run'] ? 'would move' : 'moved'}`);
        out.log(`before: ${line(plan.before)}`);
        out.log(`after:  ${line(plan.after)}`);
        if (plan.keptFromImport > 0) out.log(`kept from import: ${plural(plan.keptFromImport, 'image')} (--reassign-imported assigns them too)`);
        out.log(`groups straddling splits: ${plan.straddlingBefore} before, ${plan.straddlingAfter} after`);
        if (!v['dry-run']) out.log('undo with: fieldwork split <project-dir> --undo');
      } else {
        out.log(`splits: ${line(after.counts)}${after.frozen ? ' (frozen)' : ''}; ${after.fromImport} from import`);
      }
    }
    return 0;
  } finally {
    project.close();
  }
}

function usage(out: Out, message: string): number {
  out.error(`fieldwork split: ${message}\nusage:\n${SPLIT_USAGE}`);
  return 2;
}
