import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_NOTICES, pushNotice } from '../../renderer/src/lib/state/notice-stack.ts';

test('toasts stack at most 3: a new one pushes out the oldest', () => {
  let list: number[] = [];
  for (let i = 1; i <= 5; i++) list = pushNotice(list, i);
  assert.equal(MAX_NOTICES, 3);
  assert.deepEqual(list, [3, 4, 5]);
  assert.deepEqual(pushNotice([], 1), [1]);
});
