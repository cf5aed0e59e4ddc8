// The training scale shown before Start is the one `start` writes into config.json: the data-aware choice
// for the `cpu` preset on the committed Roboflow fixture, and after an edit to another side, that side with
// anchors refitted to the objects there; a bad side is refused with a message.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TrainOptions } from '../../electron/api.ts';
import type { TrainerLauncher } from '../../electron/services/runs.ts';
import { Workbench } from '../../electron/services/workbench.ts';
import { overridesFrom } from '../../renderer/src/lib/train/config-fields.ts';
import { PRESETS, type RunConfig } from '../../trainer/common/config.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

const resourcesDir = fileURLToPath(new URL('../../resources', import.meta.url));
/** A trainer that exits at once: only the frozen config.json matters here. */
const idleTrainer: TrainerLauncher = () => spawn(process.execPath, ['-e', ''], { stdio: ['ignore', 'pipe', 'pipe'] });

async function project() {
  const wb = new Workbench({ userDataDir: tempDir(), resourcesDir, launchTrainer: idleTrainer });
  const dir = join(tempDir(), 'p');
  await wb.api.projects.create(dir, 'Scale');
  await wb.api.coco.import(join(FIXTURES, 'roboflow-mini'));
  return { wb, dir };
}

async function startedConfig(wb: Workbench, dir: string, options: TrainOptions): Promise<RunConfig> {
  const run = await wb.api.runs.start(options);
  await wb.runs.whenFinished(run.id);
  return JSON.parse(readFileSync(join(dir, 'runs', run.id, 'config.json'), 'utf8')) as RunConfig;
}

describe('training scale before Start', () => {
  test('shows the data-aware scale that start writes, and an edited side reaches config.json with refitted anchors', async () => {
    const { wb, dir } = await project();
    const options: TrainOptions = { preset: 'cpu' };
    const scale = await wb.api.runs.scale(options);
    assert.equal(scale.chosenBy, 'data');
    assert.equal(scale.problem, null);
    assert.notEqual(scale.shortSide, PRESETS.cpu.input.testShortSide, 'the data moved the preset’s 160 px');
    assert.ok(scale.objects && scale.objects.count === 19 && scale.objects.p10 > 0 && scale.objects.p90 > scale.objects.p10);
    const config = await startedConfig(wb, dir, options);
    assert.equal(config.input.testShortSide, scale.shortSide, 'shown = config.json');
    assert.deepEqual(config.input.trainShortSides, scale.trainShortSides);
    assert.deepEqual(config.rpn.anchorSizes, scale.anchorSizes);
    assert.equal(config.input.maxSize, scale.maxSize);

    // The user types 256: the service fits the rest to it; those edits go into the run's config.json.
    const side = scale.shortSide === 256 ? 224 : 256;
    const at = await wb.api.runs.scale(options, side);
    assert.ok(at.editsAt, 'edits for the typed side');
    assert.equal(at.editsAt['input.testShortSide'], side);
    const edited: TrainOptions = { preset: 'cpu', overrides: overridesFrom(at.editsAt) };
    const shown = await wb.api.runs.scale(edited);
    assert.equal(shown.chosenBy, 'you');
    assert.equal(shown.shortSide, side);
    const ratio = side / scale.shortSide;
    assert.ok(shown.objects && Math.abs(shown.objects.p90 - scale.objects.p90 * ratio) < 1e-6, 'objects measured at the new side');
    assert.notDeepEqual(shown.anchorSizes, scale.anchorSizes, 'anchors refitted to the new side');
    const editedConfig = await startedConfig(wb, dir, edited);
    assert.equal(editedConfig.input.testShortSide, side);
    assert.deepEqual(editedConfig.input.trainShortSides, at.editsAt['input.trainShortSides']);
    assert.deepEqual(editedConfig.rpn.anchorSizes, at.editsAt['rpn.anchorSizes']);
    assert.equal(editedConfig.roi.canonicalSize, at.editsAt['roi.canonicalSize']);
    assert.deepEqual(editedConfig.rpn.aspectRatios, config.rpn.aspectRatios, 'aspect ratios still from the data');

    await assert.rejects(wb.api.runs.scale(options, 20), /whole number of pixels from 32 to 4096, not 20/);
    await assert.rejects(wb.api.runs.scale(options, 300.5), /not 300\.5/);
    // A bad edit is shown as the reason, with the preset's values.
    const bad = await wb.api.runs.scale({ preset: 'cpu', overrides: { input: { testShortSide: -5 } } });
    assert.match(bad.problem ?? '', /testShortSide/);
    await wb.api.projects.close();
    wb.close();
  });

  test('a preset without data-aware fitting shows its own scale, and an empty train split says why', async () => {
    const { wb } = await project();
    const tiny = await wb.api.runs.scale({ preset: 'tiny' });
    assert.equal(tiny.dataAware, false);
    assert.equal(tiny.chosenBy, 'preset');
    assert.equal(tiny.shortSide, PRESETS.tiny.input.testShortSide);
    await wb.api.projects.close();
    const wb2 = new Workbench({ userDataDir: tempDir(), resourcesDir, launchTrainer: idleTrainer });
    await wb2.api.projects.create(join(tempDir(), 'empty'), 'Empty');
    const none = await wb2.api.runs.scale({ preset: 'cpu' });
    assert.match(none.problem ?? '', /No labelled images in the train split/);
    assert.equal(none.objects, null);
    assert.equal(none.chosenBy, 'preset');
    await wb2.api.projects.close();
    wb.close();
    wb2.close();
  });
});
