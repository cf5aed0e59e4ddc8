import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
    assert.match(imported.out, /imported 1 images, 0 already present, 1 failed/);
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
