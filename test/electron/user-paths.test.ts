import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fromHome } from '../../electron/services/user-paths.ts';
import { Workbench } from '../../electron/services/workbench.ts';
import { tempDir } from '../helpers/tmp.ts';

test('relative project paths mean the home folder, not the server\'s working directory', async () => {
  assert.equal(fromHome('birds', '/home/me'), '/home/me/birds');
  assert.equal(fromHome('~/a/b', '/home/me'), '/home/me/a/b');
  assert.equal(fromHome('~', '/home/me'), '/home/me');
  assert.equal(fromHome('/srv/x/../y', '/home/me'), '/srv/y');
  const home = tempDir();
  const wb = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir(), homeDir: home });
  const info = await wb.api.projects.create('fieldwork/birds');
  assert.equal(info.dir, join(home, 'fieldwork', 'birds'));
  assert.ok(existsSync(join(home, 'fieldwork', 'birds', 'project.sqlite')));
  await wb.api.projects.close();
  assert.equal((await wb.api.projects.open('fieldwork/birds')).dir, info.dir);
  wb.close();
});
