// The Train screen's choice is kept per project (meta table): saved, read back after the project is
// reopened, and a bad choice is refused with a message that names the part, leaving the saved one as it was.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Workbench } from '../../electron/services/workbench.ts';
import { tempDir } from '../helpers/tmp.ts';

const resourcesDir = fileURLToPath(new URL('../../resources', import.meta.url));

describe('train choice per project', () => {
  test('saved, restored after reopening, per project; bad input refused and nothing lost', async () => {
    const wb = new Workbench({ userDataDir: tempDir(), resourcesDir });
    const a = join(tempDir(), 'a');
    await wb.api.projects.create(a, 'A');
    assert.equal(await wb.api.runs.choice(), null, 'nothing saved yet');
    const choice = { preset: 'tiny' as const, epochs: 12, budgetMinutes: null, edits: { 'input.testShortSide': 256, 'input.hflip': false } };
    await wb.api.runs.saveChoice(choice);

    const b = join(tempDir(), 'b');
    await wb.api.projects.create(b, 'B');
    assert.equal(await wb.api.runs.choice(), null, 'another project has its own');
    await wb.api.projects.open(a);
    assert.deepEqual(await wb.api.runs.choice(), choice);

    for (const [bad, message] of [
      [{ ...choice, preset: 'huge' }, /Unknown preset "huge"/],
      [{ ...choice, epochs: -1 }, /epochs must be a positive number or null/],
      [{ ...choice, budgetMinutes: 'all night' }, /budgetMinutes must be a positive number or null/],
      [{ ...choice, edits: { '__proto__.x': 1 } }, /is not a dotted config path/],
      [{ ...choice, edits: { 'solver.notes': 'x'.repeat(70_000) } }, /at most 65536 are kept/],
      [null, /must be an object/],
    ] as const) {
      await assert.rejects(wb.api.runs.saveChoice(bad as never), message);
    }
    assert.deepEqual(await wb.api.runs.choice(), choice, 'the saved choice is untouched');
    await wb.api.projects.close();
    wb.close();
  });
});
