import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../electron/cli/fieldwork.ts';
import { FIXTURES, tempDir, writeImage } from '../helpers/tmp.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('fieldwork CLI', () => {
  test('create, import, import-coco, stats, export-coco', async () => {
    const project = join(tempDir(), 'proj');
    assert.equal((await run('create', project, '--name', 'Wagons')).code, 0);

    const src = tempDir();
    await writeImage(join(src, 'a.png'), 30, 20, 1);
    writeFileSync(join(src, 'bad.png'), 'nope');
    const imported = await run('import', project, src, join(src, 'bad.png'));
    assert.equal(imported.code, 0);
    assert.match(imported.out, /imported 1 image, 0 already present, 1 failed/);
    assert.match(imported.out, /bad\.png: not an image/);

    const coco = await run('import-coco', project, join(FIXTURES, 'roboflow-mini'), '--json');
    assert.equal(coco.code, 0);
    assert.equal(JSON.parse(coco.out).annotations, 42);

    const stats = await run('stats', project, '--json');
    const parsed = JSON.parse(stats.out);
    assert.equal(parsed.images, 10);
    assert.equal(parsed.unlabelledImages, 2);
    assert.deepEqual(parsed.classes.map((c: { name: string; instances: number }) => [c.name, c.instances]), [['gunny_bag', 19], ['wire', 23]]);
    const table = await run('stats', project);
    assert.match(table.out, /gunny_bag\s+19\s+/);

    const outJson = join(tempDir(), 'out.json');
    const exported = await run('export-coco', project, outJson, '--split', 'test');
    assert.equal(exported.code, 0);
    assert.equal(JSON.parse(readFileSync(outJson, 'utf8')).images.length, 2);
  });

  test('fails with a one-line reason and a non-zero code', async () => {
    const missing = await run('stats', join(tempDir(), 'nope'));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^fieldwork: No Fieldwork project in .*nope/);
    assert.equal(missing.err.split('\n').length, 1);
    const usage = await run('export-coco', 'only-one-arg');
    assert.equal(usage.code, 2);
    const badSplit = await run('import-coco', 'p', 'x', '--split', 'holdout');
    assert.equal(badSplit.code, 2);
    assert.match(badSplit.err, /--split must be train, val or test/);
    const unknown = await run('frobnicate');
    assert.equal(unknown.code, 2);
  });

  test('the bin runs through npx-style invocation', () => {
    const bin = fileURLToPath(new URL('../../bin/fieldwork.js', import.meta.url));
    const project = join(tempDir(), 'viabin');
    const created = spawnSync(process.execPath, [bin, 'create', project], { encoding: 'utf8' });
    assert.equal(created.status, 0, created.stderr);
    const stats = spawnSync(process.execPath, [bin, 'stats', project, '--json'], { encoding: 'utf8' });
    assert.equal(stats.status, 0, stats.stderr);
    assert.equal(JSON.parse(stats.stdout).images, 0);
    const bad = spawnSync(process.execPath, [bin, 'stats', join(project, 'nope')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr.trim(), /^fieldwork: No Fieldwork project/);
  });
});

describe('fieldwork train and learning-curve (real trainer, tiny preset)', () => {
  test('train freezes a run folder, trains, and records the run', async () => {
    const project = join(tempDir(), 'train');
    await run('create', project);
    await run('import-coco', project, join(FIXTURES, 'roboflow-mini'));
    const trained = await run('train', project, '--preset', 'tiny', '--iterations', '4');
    assert.equal(trained.code, 0, trained.err);
    assert.match(trained.out, /dataset check: 19 objects in 2 classes/);
    assert.match(trained.out, /training on (wasm|cpu|tensorflow)/);
    const runId = trained.out.match(/run (\S+): 4 train \/ 2 val images/)![1];
    for (const file of ['snapshot.json', 'config.json', 'metrics.jsonl', 'report.json']) {
      assert.ok(existsSync(join(project, 'runs', runId, file)), `${file} in the run folder`);
    }
    const events = readFileSync(join(project, 'runs', runId, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(events.filter((e) => e.type === 'progress').at(-1).iteration, 4);
    assert.equal(events.at(-1).type, 'done');
    // 4 iterations of tiny fit nothing: the verdict is "not learned", printed with its interval, never "enough"
    const report = JSON.parse(readFileSync(join(project, 'runs', runId, 'report.json'), 'utf8'));
    assert.equal(report.verdict.verdict, 'not_learned', report.verdict.evidence.join(' | '));
    assert.match(trained.out, /verdict: not_learned \(Inconclusive: not learned yet\); last val AP \d+\.\d % \(95 % interval \d+\.\d–\d+\.\d %\) on 2 val images/);
    assert.match(trained.out, /advice: Train longer first: about 3× the schedule \(4 → 12 iterations\)/);
    assert.match(trained.out, /val @4: box AP \d+\.\d % \(95 % interval/);
    assert.ok(!/AP 0\.\d{3}\b/.test(trained.out), 'no AP printed as a 0–1 fraction');
    assert.equal((await run('train', project, '--preset', 'huge')).code, 2);
  });

  test('learning-curve trains one run per fraction and fits the curve', async () => {
    const project = join(tempDir(), 'curve');
    await run('create', project);
    await run('import-coco', project, join(FIXTURES, 'roboflow-mini'));
    const curve = await run('learning-curve', project, '--preset', 'tiny', '--iterations', '2', '--fractions', '0.5,1', '--json');
    assert.equal(curve.code, 0, curve.err);
    const record = JSON.parse(curve.out.trim().split('\n').at(-1)!);
    assert.equal(record.status, 'done');
    assert.deepEqual(record.points.map((p: { fraction: number }) => p.fraction), [0.5, 1]);
    assert.ok(record.points[0].trainImages < record.points[1].trainImages);
    assert.equal(typeof record.result.message, 'string');
    // runs of 2 iterations did not learn: the curve concludes nothing
    assert.equal(record.points[1].verdict, 'not_learned');
    assert.equal(record.result.stillRising, null);
    assert.match(record.result.message, /^Inconclusive: /);
  });
});
