// The locked Electron may be at most one patch line (minor) behind the newest its major line has on the
// npm registry; skipped, with the reason, when the registry cannot be reached.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareElectron, lockedElectron, newestOfMajor, registryVersions } from '../../build/electron-version.mjs';

test('the comparison: one line behind passes, two fail, the newest of a major is found', () => {
  assert.equal(newestOfMajor(['41.7.1', '41.10.0', '41.9.2', '42.0.0', '41.11.0-beta.1'], 41), '41.10.0');
  assert.equal(compareElectron('41.10.0', '41.10.0').ok, true);
  assert.equal(compareElectron('41.9.2', '41.10.0').ok, true);
  assert.equal(compareElectron('41.7.1', '41.10.0').ok, false);
  assert.match(compareElectron('41.7.1', '41.10.0').message, /3 patch lines behind/);
  assert.equal(compareElectron('41.7.1', null).ok, false);
});

test('the locked Electron is current within its major line (npm registry)', async (t) => {
  const locked = lockedElectron();
  const major = Number(locked.split('.')[0]);
  const versions = await registryVersions(major);
  if (!versions) {
    t.skip(`the npm registry is not reachable; cannot compare Electron ${locked}`);
    return;
  }
  const result = compareElectron(locked, newestOfMajor(versions, major));
  t.diagnostic(result.message);
  assert.ok(result.ok, result.message);
});
