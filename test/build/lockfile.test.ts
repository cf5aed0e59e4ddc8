// The committed package-lock.json is what `npm install` writes, so a fresh clone starts with a clean tree.
// npm lists the root's dependencies exactly as package.json declares them; an optional dependency copied
// into the root's `dependencies` (as @tensorflow/tfjs-node-gpu was) is removed again by every install.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));

test('package-lock.json root entry matches package.json as npm writes it', () => {
  const rootEntry = lock.packages[''];
  assert.deepEqual(rootEntry.dependencies ?? {}, pkg.dependencies ?? {}, 'dependencies');
  assert.deepEqual(rootEntry.devDependencies ?? {}, pkg.devDependencies ?? {}, 'devDependencies');
  for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
    assert.ok(!(name in (rootEntry.dependencies ?? {})), `${name} is optional: npm keeps it out of the root's dependencies`);
    assert.equal(lock.packages[`node_modules/${name}`]?.optional, true, `${name} is locked as optional`);
  }
});
