import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeConfig, validateRunConfig } from '../../trainer/common/config.ts';

test('the run summary the CLI prints gives epochs rounded (one decimal), not 12.345679', () => {
  const c = validateRunConfig({ preset: 'tiny', solver: { epochs: 12.3456789 } }, 'tiny');
  const line = summarizeConfig(c, 500);
  assert.match(line, /, 12\.3 epochs = 500 iterations/);
  assert.match(summarizeConfig(validateRunConfig({ preset: 'tiny', solver: { epochs: 4 } }, 'tiny'), 40), /, 4 epochs = 40/);
});
