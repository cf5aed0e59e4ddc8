// A ConfigError carries what it is about as data (key, rule, value), so it can cross the API whole
// (electron/services/errors.ts gives it kind `config`) instead of being parsed back out of its message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, validateRunConfig } from '../../trainer/common/config.ts';

function configError(input: unknown): ConfigError {
  try {
    validateRunConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

test('a value out of range names its key, the rule and the value', () => {
  const err = configError({ solver: { momentum: 5 } });
  assert.equal(err.message, 'Error in validateRunConfig: solver.momentum must be in [0, 0.999], got 5');
  assert.deepEqual(err.details, { key: 'solver.momentum', rule: 'solver.momentum must be in [0, 0.999]', value: 5 });
  assert.deepEqual(configError({ input: { testShortSide: 'big' } }).details, { key: 'input.testShortSide', rule: 'input.testShortSide must be an integer in [16, 4096]', value: 'big' });
});

test('an unknown key and a non-object name the key; a rule over several keys names none', () => {
  assert.deepEqual(configError({ solver: { learningRate: 0.1 } }).details, { key: 'solver.learningRate', rule: 'unknown key', value: 0.1 });
  assert.deepEqual(configError({ solver: 3 }).details, { key: 'solver', rule: 'solver must be an object', value: 3 });
  assert.deepEqual(configError([1]).details, { key: null, rule: 'config must be an object', value: [1] });
  const cross = configError({ rpn: { bgIouThresh: 0.9, fgIouThresh: 0.1 } });
  assert.equal(cross.details.key, null);
  assert.deepEqual(cross.details.value, [0.9, 0.1]);
});

test('details are plain data that survive structured cloning and JSON', () => {
  const { details } = configError({ backbone: { depth: 77 } });
  assert.deepEqual(structuredClone(details), details);
  assert.deepEqual(JSON.parse(JSON.stringify(details)), details);
});
