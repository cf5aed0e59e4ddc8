import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Workbench } from '../../electron/services/workbench.ts';
import { tempDir } from '../helpers/tmp.ts';

const resourcesDir = fileURLToPath(new URL('../../resources', import.meta.url));

describe('workbench', () => {
  test('opens the demo project from resources/, remembers recent projects, emits events', async () => {
    const userDataDir = tempDir();
    const wb = new Workbench({ userDataDir, resourcesDir });
    const progress: number[] = [];
    wb.on('importProgress', (p) => progress.push(p.done));
    const demo = await wb.api.projects.openDemo();
    assert.equal(demo.dir, join(userDataDir, 'demo-project'));
    const stats = await wb.api.stats.get();
    assert.equal(stats.images, 30);
    assert.deepEqual(stats.perSplit.train.images, 20);
    assert.ok(stats.classes.length === 2 && stats.classes.every((c) => c.instances > 0));
    assert.equal(progress.at(-1), 30);
    assert.deepEqual(await wb.api.projects.recent(), [demo.dir]);

    const other = join(tempDir(), 'second');
    await wb.api.projects.create(other, 'Second');
    assert.deepEqual(await wb.api.projects.recent(), [other, demo.dir]);
    // Opening the demo again reopens it instead of importing a second time.
    await wb.api.projects.openDemo();
    assert.equal((await wb.api.stats.get()).images, 30);
    await wb.api.projects.close();
    assert.equal(await wb.api.projects.current(), null);
    await assert.rejects(wb.api.images.list(), /No project is open/);
  });
});
