// Compare runs shows their config differences beside the data differences.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareRuns } from '../../electron/services/compare.ts';
import { configDifferences } from '../../electron/services/config_diff.ts';
import type { RunSupervisor } from '../../electron/services/runs.ts';
import { validateRunConfig } from '../../trainer/common/config.ts';
import { tempDir } from '../helpers/tmp.ts';

test('config differences: every differing leaf, epochs / scale / preset / augmentation first', () => {
  const a = validateRunConfig({ preset: 'tiny', solver: { epochs: 4 } }, 'tiny');
  const b = validateRunConfig({ preset: 'cpu', solver: { epochs: 12, baseLr: 0.04 } }, 'cpu');
  const diff = configDifferences(a, b);
  assert.equal(diff[0].key, 'preset');
  assert.deepEqual(diff[1], { key: 'solver.epochs', a: 4, b: 12 });
  assert.ok(diff.some((d) => d.key === 'solver.baseLr' && d.b === 0.04));
  assert.deepEqual(configDifferences(a, JSON.parse(JSON.stringify(a))), [], 'same config, no differences');
  assert.deepEqual(configDifferences({ x: [1, 2] }, { x: [1, 3], y: true }), [{ key: 'x', a: [1, 2], b: [1, 3] }, { key: 'y', a: null, b: true }]);
});

test('compareRuns reads both run folders\' config.json', () => {
  const root = tempDir();
  const snapshot = { images: [], annotations: [], categories: [] };
  for (const [id, epochs] of [['a', 4], ['b', 8]] as const) {
    mkdirSync(join(root, id));
    writeFileSync(join(root, id, 'snapshot.json'), JSON.stringify(snapshot));
    writeFileSync(join(root, id, 'config.json'), JSON.stringify({ preset: 'tiny', solver: { epochs } }));
  }
  const runs = { runDir: (id: string) => join(root, id), get: (id: string) => ({ id }) } as unknown as RunSupervisor;
  const result = compareRuns(runs, 'a', 'b');
  assert.deepEqual(result.configDiff, [{ key: 'solver.epochs', a: 4, b: 8 }]);
  assert.equal(result.diff.imagesAdded, 0);
});
