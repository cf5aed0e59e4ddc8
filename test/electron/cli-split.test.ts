// `fieldwork split`: assign with before/after counts, dry run, --set by file name, undo, freeze.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../electron/cli/fieldwork.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('fieldwork split: assign, dry run, set, undo, freeze', async () => {
  const project = join(tempDir(), 'proj');
  assert.equal((await run('create', project)).code, 0);
  assert.equal((await run('import-coco', project, join(FIXTURES, 'roboflow-mini'))).code, 0);
  const state = async () => JSON.parse((await run('split', project, '--json')).out).after;
  const imported = await state();
  assert.deepEqual(imported.counts, { train: 4, val: 3, test: 2 });
  assert.equal(imported.fromImport, 9);

  const dry = await run('split', project, '--assign', '--reassign-imported', '--seed', '4', '--train', '0.5', '--val', '0.25', '--test', '0.25', '--dry-run');
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /before: train 4, val 3, test 2/);
  assert.match(dry.out, /groups straddling splits: 1 before, 0 after/);
  assert.deepEqual((await state()).counts, imported.counts, 'a dry run changes nothing');

  const done = await run('split', project, '--assign', '--reassign-imported', '--seed', '4', '--train', '0.5', '--val', '0.25', '--test', '0.25');
  assert.equal(done.code, 0, done.err);
  assert.match(done.out, /undo with: fieldwork split <project-dir> --undo/);
  const after = (await state()).counts;
  assert.equal(after.train + after.val + after.test, 9);
  assert.ok(after.val >= 1 && after.test >= 1);
  assert.equal((await run('split', project, '--undo')).code, 0);
  assert.deepEqual((await state()).counts, imported.counts, 'undo puts the import\'s splits back');

  const name = 'WhatsApp-Image-2024-10-24-at-10_30_27_95a5ba14_jpg.rf.f568d7bcf486a6bc25f7abe7b5e1c50b.jpg';
  const set = await run('split', project, '--set', 'test', name);
  assert.equal(set.code, 0, set.err);
  assert.match(set.out, /splits: train 3, val 3, test 3; 8 from import/);
  assert.equal((await run('split', project, '--set', 'test', 'no-such.jpg')).code, 1);
  assert.equal((await run('split', project, '--set', 'holdout', name)).code, 2);
  assert.equal((await run('split', project, '--assign', '--undo')).code, 2);

  assert.match((await run('split', project, '--freeze')).out, /\(frozen\)/);
  const refused = await run('split', project, '--assign');
  assert.equal(refused.code, 1);
  assert.match(refused.err, /frozen; unfreeze them first/);
  assert.equal((await run('split', project, '--unfreeze')).code, 0);
  assert.equal((await run('split', project, '--assign')).code, 0);
});
