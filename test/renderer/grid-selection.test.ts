import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptySelection, extendTo, keepVisible, selectAll, toggle } from '../../renderer/src/lib/grid/selection.ts';

const order = [5, 3, 9, 1, 7];
const ids = (s: { ids: ReadonlySet<number> }) => [...s.ids].sort((a, b) => a - b);

test('grid selection: Ctrl-click toggles, Shift-click takes the shown range from the anchor, select all, filters', () => {
  let s = toggle(emptySelection, 3);
  s = toggle(s, 7);
  assert.deepEqual(ids(s), [3, 7]);
  s = toggle(s, 7);
  assert.deepEqual(ids(s), [3]);
  // The anchor is the last toggled image (5); Shift-click on 9 adds 5 3 9 of the shown order 5 3 9 1 7 and keeps 7.
  s = extendTo(toggle(toggle(emptySelection, 7), 5), 9, order);
  assert.deepEqual(ids(s), [3, 5, 7, 9]);
  assert.deepEqual(ids(extendTo(toggle(emptySelection, 3), 1, order)), [1, 3, 9], 'range in display order, not by id');
  assert.deepEqual(ids(extendTo(toggle(emptySelection, 1), 5, order)), [1, 3, 5, 9], 'backwards too');
  assert.deepEqual(ids(extendTo(emptySelection, 9, order)), [9], 'no anchor: just that image');
  assert.deepEqual(ids(selectAll(order)), [1, 3, 5, 7, 9]);
  const filtered = keepVisible(selectAll(order), [3, 7]);
  assert.deepEqual(ids(filtered), [3, 7]);
  assert.equal(keepVisible(toggle(emptySelection, 9), [3]).anchor, null);
});
