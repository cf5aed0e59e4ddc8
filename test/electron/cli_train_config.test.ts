// `fieldwork train … --set key=value --config file.json --minutes N`, and the runs that are refused
// before compute (nothing in the run list, no run folder).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseSetValue, trainOverridesFromArgs } from '../../electron/cli/train_args.ts';
import { runCli, runCount } from '../helpers/cli.ts';
import { FIXTURES, tempDir, writeImage } from '../helpers/tmp.ts';

const run = runCli;

describe('train options from the command line', () => {
  test('--set parses JSON values and dotted keys; --config merges under --set; --minutes is the budget', () => {
    assert.equal(parseSetValue('0.04'), 0.04);
    assert.deepEqual(parseSetValue('[640,800]'), [640, 800]);
    assert.equal(parseSetValue('true'), true);
    assert.equal(parseSetValue('wasm'), 'wasm');
    const files: Record<string, string> = { 'c.json': JSON.stringify({ solver: { baseLr: 0.02, momentum: 0.8 }, input: { hflip: false } }) };
    const o = trainOverridesFromArgs({ config: 'c.json', set: ['solver.baseLr=0.04', 'input.testShortSide=512'], minutes: '30' }, (p) => files[p]);
    assert.deepEqual(o, { solver: { baseLr: 0.04, momentum: 0.8, budgetMinutes: 30 }, input: { hflip: false, testShortSide: 512 } });
    assert.equal(trainOverridesFromArgs({}), undefined);
    assert.throws(() => trainOverridesFromArgs({ set: ['solver.baseLr'] }), /--set solver\.baseLr: expected key=value/);
    assert.throws(() => trainOverridesFromArgs({ set: ['__proto__.x=1'] }), /not a config key path/);
    assert.throws(() => trainOverridesFromArgs({ minutes: '-5' }), /--minutes must be a positive number/);
    assert.throws(() => trainOverridesFromArgs({ config: 'x.json' }, () => { throw Object.assign(new Error('gone'), { code: 'ENOENT' }); }), /--config x\.json: cannot read it \(ENOENT\)/);
    assert.throws(() => trainOverridesFromArgs({ config: 'c.json' }, () => '[1,2]'), /must hold a JSON object/);
    assert.throws(() => trainOverridesFromArgs({ config: 'c.json' }, () => '{oops'), /not valid JSON/);
  });

  test('fieldwork train: unknown keys and bad values get the validator\'s message and start nothing; good ones reach config.json', async () => {
    const project = join(tempDir(), 'proj');
    await run('create', project);
    await run('import-coco', project, join(FIXTURES, 'roboflow-mini'));
    const unknown = await run('train', project, '--preset', 'tiny', '--set', 'solver.learningRate=0.1');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /Run config: unknown key solver\.learningRate/);
    const bad = await run('train', project, '--preset', 'tiny', '--set', 'solver.baseLr=-1');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /solver\.baseLr must be in \(0, 10\], got -1/);
    const cfg = join(tempDir(), 'bad.json');
    writeFileSync(cfg, JSON.stringify({ input: { testShortSide: 'big' } }));
    const badFile = await run('train', project, '--preset', 'tiny', '--config', cfg);
    assert.equal(badFile.code, 1);
    assert.match(badFile.err, /input\.testShortSide must be an integer/);
    assert.equal((await run('train', project, '--minutes', '5', '--iterations', '3')).code, 2, 'a budget or a length, not both');
    assert.deepEqual(runCount(project), { rows: 0, folders: 0 }, 'nothing written for runs that cannot start');

    const good = join(tempDir(), 'good.json');
    writeFileSync(good, JSON.stringify({ preset: 'tiny', solver: { momentum: 0.8 } }));
    // No evaluations before the end and no train sample: the real-clock extend below stays short on a loaded machine.
    const ok = await run('train', project, '--config', good, '--set', 'solver.baseLr=0.03', '--set', 'seed=7', '--set', 'solver.evaluations=0', '--set', 'solver.trainEvalImages=0', '--iterations', '2');
    assert.equal(ok.code, 0, ok.err);
    const runId = ok.out.match(/run (\S+): 4 train/)![1];
    const config = JSON.parse(readFileSync(join(project, 'runs', runId, 'config.json'), 'utf8'));
    assert.equal(config.preset, 'tiny', 'the preset from --config');
    assert.equal(config.solver.baseLr, 0.03);
    assert.equal(config.solver.momentum, 0.8);
    assert.equal(config.seed, 7);

    // Train a minute more from its last checkpoint (a short real run): a new schedule tail, the earlier plan kept.
    const more = await run('extend', project, runId, '--minutes', '1');
    assert.equal(more.code, 0, more.err);
    const plan = JSON.parse(readFileSync(join(project, 'runs', runId, 'plan.json'), 'utf8'));
    assert.equal(plan.basis, 'budget');
    assert.equal(plan.previous[0].totalIterations, 2);
    assert.ok(plan.totalIterations > 2 + 6, `${plan.totalIterations} iterations`);
    assert.match(more.out, new RegExp(`run ${runId} done`));
    assert.equal((await run('extend', project, runId)).code, 2, '--minutes is required');
    assert.equal((await run('extend', project, 'no-such-run', '--minutes', '1')).code, 1);
  });

  test('fieldwork train refuses a class labelled only in val and images far below the scale, before any run exists', async () => {
    const project = join(tempDir(), 'proj');
    await run('create', project);
    const src = tempDir();
    const images = [];
    for (let i = 0; i < 3; i++) images.push({ id: i + 1, file_name: `${i}.png`, width: 48, height: 48 });
    for (const im of images) await writeImage(join(src, im.file_name), 48, 48, im.id);
    const ann = (id: number, image_id: number, category_id: number) => ({ id, image_id, category_id, bbox: [4, 4, 20, 20], area: 400, iscrowd: 0, segmentation: [[4, 4, 24, 4, 24, 24, 4, 24]] });
    const cats = [{ id: 1, name: 'crack' }, { id: 2, name: 'dent' }];
    writeFileSync(join(src, 'train.json'), JSON.stringify({ images: images.slice(0, 2), annotations: [ann(1, 1, 1), ann(2, 2, 1)], categories: cats }));
    writeFileSync(join(src, 'val.json'), JSON.stringify({ images: images.slice(2), annotations: [ann(3, 3, 2)], categories: cats }));
    assert.equal((await run('import-coco', project, join(src, 'train.json'), '--split', 'train')).code, 0);
    assert.equal((await run('import-coco', project, join(src, 'val.json'), '--split', 'val')).code, 0);
    const r = await run('train', project, '--preset', 'cpu', '--iterations', '2');
    assert.equal(r.code, 1);
    assert.match(r.err, /Class "dent" has labels only in val \(1 object\)/);
    assert.match(r.err, /48 px on their short side \(median\), far smaller than the training scale of 128 px/);
    assert.deepEqual(runCount(project), { rows: 0, folders: 0 });
  });
});
