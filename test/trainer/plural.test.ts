import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plural, pluralWord } from '../../trainer/common/plural.ts';

test('plural: one takes the singular, every other count the plural', () => {
  assert.equal(plural(1, 'image'), '1 image');
  assert.equal(plural(2, 'image'), '2 images');
  assert.equal(plural(0, 'image'), '0 images');
  assert.equal(plural(1.5, 'epoch'), '1.5 epochs');
  assert.equal(plural(-1, 'image'), '-1 image');
});

test('plural: English endings and an explicit plural', () => {
  assert.equal(plural(2, 'class'), '2 classes');
  assert.equal(plural(1, 'class'), '1 class');
  assert.equal(plural(3, 'category'), '3 categories');
  assert.equal(plural(3, 'day'), '3 days');
  assert.equal(plural(2, 'box'), '2 boxes');
  assert.equal(plural(2, 'match'), '2 matches');
  assert.equal(plural(2, 'person', 'people'), '2 people');
  assert.equal(pluralWord(1, 'annotation'), 'annotation');
  assert.equal(pluralWord(7, 'annotation'), 'annotations');
});
