// runConfigFor: the preset, the overrides, the run length and the data-aware fit derived as one draft,
// validated once at the end and frozen — a config is never changed after it was validated.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, validateRunConfig } from '../../trainer/common/config.ts';
import { dataAwareChoice } from '../../trainer/data/data_aware.ts';
import { importCoco } from '../../electron/services/coco_import.ts';
import { Project } from '../../electron/services/project.ts';
import { buildSnapshot, runConfigFor } from '../../electron/services/runs.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

async function miniSnapshot() {
  const project = Project.create(join(tempDir(), 'p'));
  await importCoco(project, join(FIXTURES, 'roboflow-mini'));
  const snapshot = buildSnapshot(project);
  project.close();
  return { snapshot, trainImages: snapshot.images.filter((i) => i.split === 'train').length };
}

test('the run length and the data-aware fit land in one validated, frozen config', async () => {
  const { snapshot, trainImages } = await miniSnapshot();
  const c = runConfigFor({ preset: 'cpu', iterations: 30 }, trainImages, snapshot);
  const base = validateRunConfig({ preset: 'cpu' });
  const choice = dataAwareChoice(snapshot, base)!;
  assert.ok(choice, 'the fixture has objects to fit');
  assert.equal(c.solver.epochs, (30 * base.solver.imsPerBatch) / trainImages);
  assert.deepEqual(c.input.trainShortSides, choice.trainShortSides);
  assert.equal(c.input.testShortSide, choice.shortSide);
  assert.deepEqual(c.rpn.anchorSizes, choice.anchorSizes);
  assert.deepEqual(validateRunConfig(c), c, 'what it returns is a valid config as it is');
  for (const part of [c, c.solver, c.input, c.input.trainShortSides, c.rpn.anchorSizes]) assert.ok(Object.isFrozen(part));
  assert.throws(() => {
    (c.solver as { epochs: number }).epochs = 1;
  }, TypeError, 'nothing can change it after validation');
  assert.equal(runConfigFor({ preset: 'cpu', overrides: { input: { testShortSide: 224, trainShortSides: [224], maxSize: 400 } } }, trainImages, snapshot).input.testShortSide, 224, 'a value the user set stays');
  assert.equal(runConfigFor({ preset: 'cpu' }, trainImages).input.testShortSide, base.input.testShortSide, 'without a snapshot: no data-aware fit (export-run)');
});

test('a bad value the user typed and a bad combination the derivation made are both refused, named', async () => {
  const { snapshot, trainImages } = await miniSnapshot();
  assert.throws(() => runConfigFor({ preset: 'cpu', overrides: { solver: { momentum: 5 } } }, trainImages, snapshot), (e: Error) => e instanceof ConfigError && /^Run config: solver\.momentum/.test(e.message));
  assert.throws(() => runConfigFor({ preset: 'cpu', epochs: -1 }, trainImages, snapshot), (e: Error) => e instanceof ConfigError && /^Run config: solver\.epochs/.test(e.message));
  // The user caps maxSize at the preset's value; the data-aware scale above it fails the one validation at the end.
  const side = dataAwareChoice(snapshot, validateRunConfig({ preset: 'cpu' }))!.shortSide;
  assert.ok(side > 267, `the fixture's data-aware side (${side}) is above the cpu preset's maxSize`);
  assert.throws(() => runConfigFor({ preset: 'cpu', overrides: { input: { maxSize: 267 } } }, trainImages, snapshot), (e: Error) => e instanceof ConfigError && /^Run config: input\.maxSize must be ≥ every short side/.test(e.message));
});
