import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positionIn, stepIn } from '../../renderer/src/lib/annotate/nav-list.ts';

test('annotator list: steps and counter over a fixed list', () => {
  const ids = [8, 3, 5];
  assert.equal(stepIn(ids, 3, 1), 5);
  assert.equal(stepIn(ids, 3, -1), 8);
  assert.equal(stepIn(ids, 5, 1), null);
  assert.equal(stepIn(ids, 8, -1), null);
  assert.equal(stepIn(ids, 99, 1), null);
  assert.equal(positionIn(ids, 5), '3 / 3');
  assert.equal(positionIn(ids, 99), '');
});
