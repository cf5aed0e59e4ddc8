// export-run on the committed Roboflow fixture, both engines: the COCO splits load, image references
// resolve, category ids and counts match the project; the Detectron2 config holds the paper's recipe
// scaled to this dataset, key by key, and only keys Detectron2's defaults.py defines.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import type { CocoDataset } from '../../../trainer/common/coco.ts';
import { detectron2Config, plainValue, toYaml } from '../../../electron/services/interop/detectron2_config.ts';
import type { RunManifest } from '../../../electron/services/interop/export_run.ts';
import { Project } from '../../../electron/services/project.ts';
import { datasetStats } from '../../../electron/services/stats.ts';
import { insertClass } from '../../../electron/services/classes.ts';
import { buildSnapshot, runConfigFor, snapshotHash } from '../../../electron/services/runs.ts';
import { PRESETS } from '../../../trainer/common/config.ts';
import { FIXTURES, tempDir } from '../../helpers/tmp.ts';
import { cli, fixtureProject } from './fixture.ts';

/** Detectron2's keys → the type of their default ('int', 'float', 'bool', 'str', 'list', …). */
const D2_KEYS = new Map(readFileSync(join(FIXTURES, 'detectron2', 'defaults-keys.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ') as [string, string]));

/** The yacs type our value has in the YAML (floats are wrapped so whole ones keep a dot). */
function yamlType(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object' && v !== null && 'float' in v) return 'float';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v === 'boolean' ? 'bool' : 'str';
}

/** Every key is one Detectron2 defines, with a value of its default's type (yacs refuses others). */
function assertKnownKeys(flat: ReturnType<typeof detectron2Config>): void {
  for (const [key, value] of flat) {
    assert.ok(D2_KEYS.has(key), `${key} is a Detectron2 config key`);
    assert.equal(yamlType(value), D2_KEYS.get(key), `${key}: type of Detectron2's default`);
  }
}

describe('export-run', () => {
  test('both engines: splits load, images resolve, categories and counts match the project', async () => {
    const dir = await fixtureProject();
    const project = Project.open(dir);
    const stats = datasetStats(project);
    project.close();
    for (const [engine, images] of [['torchvision', 'copy'], ['detectron2', 'link'], ['detectron2', 'absolute']] as const) {
      const out = join(tempDir(), `export-${engine}-${images}`);
      const r = await cli('export-run', dir, out, '--engine', engine, '--images', images);
      assert.equal(r.code, 0, r.err);
      const manifest = JSON.parse(readFileSync(join(out, 'fieldwork-run.json'), 'utf8')) as RunManifest;
      assert.equal(manifest.engine, engine);
      let instances = 0;
      const perClass = new Map<string, number>();
      for (const split of ['train', 'val', 'test'] as const) {
        const ds = JSON.parse(readFileSync(join(out, 'datasets', `${split}.json`), 'utf8')) as CocoDataset;
        const want = stats.classes.reduce((s, c) => s + c.perSplit[split], 0);
        assert.equal(ds.annotations.length, manifest.splits[split].annotations);
        assert.equal(ds.annotations.length, want, `${split} instances`);
        instances += ds.annotations.length;
        assert.deepEqual(ds.categories.map((c) => c.name).sort(), stats.classes.map((c) => c.name).sort());
        const catIds = new Set(ds.categories.map((c) => c.id));
        const imageIds = new Set(ds.images.map((i) => i.id));
        for (const a of ds.annotations) {
          assert.ok(catIds.has(a.category_id) && imageIds.has(a.image_id));
          assert.ok(a.area > 0 && a.area <= a.bbox[2] * a.bbox[3] + 1e-6, 'true mask area, not the box area');
          const name = ds.categories.find((c) => c.id === a.category_id)!.name;
          perClass.set(name, (perClass.get(name) ?? 0) + 1);
        }
        for (const img of ds.images) {
          const path = isAbsolute(img.file_name) ? img.file_name : resolve(out, 'datasets', img.file_name);
          assert.ok(existsSync(path), `${img.file_name} resolves`);
          if (images === 'absolute') assert.ok(isAbsolute(img.file_name));
          else assert.equal(lstatSync(path).isFile() || lstatSync(path).isSymbolicLink(), true);
        }
      }
      assert.equal(instances, stats.classes.reduce((s, c) => s + c.instances, 0));
      for (const c of stats.classes) assert.equal(perClass.get(c.name), c.instances, c.name);
      assert.deepEqual(manifest.categories.map((c) => c.name), ['gunny_bag', 'wire']);
      if (images === 'absolute') assert.equal(existsSync(join(out, 'images')), false);
      assert.ok(existsSync(join(out, 'train.py')) && existsSync(join(out, 'README.md')));
      assert.equal(existsSync(join(out, 'config.yaml')), engine === 'detectron2');
      assert.equal(existsSync(join(out, 'fieldwork_model.py')), engine === 'torchvision');
    }
  });

  test('a class without labels is not exported (Detectron2 sizes its heads from the categories listed)', async () => {
    const dir = await fixtureProject();
    const project = Project.open(dir);
    insertClass(project, 'rust');
    project.close();
    const out = join(tempDir(), 'd2');
    assert.equal((await cli('export-run', dir, out, '--engine', 'detectron2')).code, 0);
    for (const split of ['train', 'val', 'test']) {
      const ds = JSON.parse(readFileSync(join(out, 'datasets', `${split}.json`), 'utf8')) as CocoDataset;
      assert.deepEqual(ds.categories.map((c) => c.name), ['gunny_bag', 'wire'], split);
    }
    assert.match(readFileSync(join(out, 'config.yaml'), 'utf8'), /NUM_CLASSES: 2\n/);
  });

  test('--run exports that run\'s frozen snapshot and recipe, not the project as it is now', async () => {
    const dir = await fixtureProject();
    const project = Project.open(dir);
    const snapshot = buildSnapshot(project);
    const config = runConfigFor({ preset: 'tiny', epochs: 3 }, 4);
    mkdirSync(join(dir, 'runs', 'r1'), { recursive: true });
    writeFileSync(join(dir, 'runs', 'r1', 'snapshot.json'), JSON.stringify(snapshot));
    writeFileSync(join(dir, 'runs', 'r1', 'config.json'), JSON.stringify(config));
    insertClass(project, 'later'); // a change after the run froze its snapshot
    project.close();
    const out = join(tempDir(), 'tv');
    const r = await cli('export-run', dir, out, '--engine', 'torchvision', '--run', 'r1');
    assert.equal(r.code, 0, r.err);
    const m = JSON.parse(readFileSync(join(out, 'fieldwork-run.json'), 'utf8')) as RunManifest;
    assert.equal(m.runId, 'r1');
    assert.equal(m.snapshotHash, snapshotHash(snapshot));
    assert.deepEqual(m.config, config);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'snapshot.json'), 'utf8')), snapshot);
    const missing = await cli('export-run', dir, join(tempDir(), 'x'), '--engine', 'detectron2', '--run', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /No run "nope"/);
  });

  test('refuses a non-empty folder, an unknown engine, preset or norm — and writes nothing', async () => {
    const dir = await fixtureProject();
    const out = tempDir();
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const busy = await cli('export-run', dir, out, '--engine', 'torchvision');
    assert.equal(busy.code, 1);
    assert.match(busy.err, /not empty/);
    assert.deepEqual(readdirSync(out), ['keep.txt']);
    assert.equal((await cli('export-run', dir, join(out, 'x'), '--engine', 'mmdet')).code, 2);
    const preset = await cli('export-run', dir, join(out, 'y'), '--engine', 'detectron2', '--preset', 'r18');
    assert.equal(preset.code, 1);
    assert.match(preset.err, /r50-gn, r101-gn, x152-32x8d-gn-cascade/);
    assert.equal((await cli('export-run', dir, join(out, 'z'), '--engine', 'detectron2', '--norm', 'BN')).code, 1);
    assert.deepEqual(readdirSync(out), ['keep.txt']);
  });

  test('the Detectron2 config: the scratch GN recipe scaled to the data, every key Detectron2 knows', async () => {
    const dir = await fixtureProject();
    const out = join(tempDir(), 'd2');
    assert.equal((await cli('export-run', dir, out, '--engine', 'detectron2', '--preset', 'r50-gn')).code, 0);
    const manifest = JSON.parse(readFileSync(join(out, 'fieldwork-run.json'), 'utf8')) as RunManifest;
    const train = manifest.splits.train.images; // 4 on the fixture
    const epochs = PRESETS.paper.solver.epochs; // 72 = the paper's 6× schedule in COCO epochs
    const maxIter = Math.ceil((epochs * train) / 16);
    const flat = detectron2Config(manifest.config, { preset: 'r50-gn', norm: 'GN', numClasses: 2, trainImages: train, trainDataset: 'fieldwork_train', testDataset: 'fieldwork_val' });
    const got = new Map(flat.map(([k, v]) => [k, plainValue(v)]));
    // key → value the recipe asks for (configs/Misc/scratch_mask_rcnn_R_50_FPN_9x_gn.yaml and its bases)
    const expected: [string, unknown][] = [
      ['MODEL.WEIGHTS', ''],
      ['MODEL.MASK_ON', true],
      ['MODEL.BACKBONE.FREEZE_AT', 0],
      ['MODEL.RESNETS.DEPTH', 50],
      ['MODEL.RESNETS.NORM', 'GN'],
      ['MODEL.RESNETS.STRIDE_IN_1X1', false],
      ['MODEL.FPN.NORM', 'GN'],
      ['MODEL.ROI_HEADS.NAME', 'StandardROIHeads'],
      ['MODEL.ROI_HEADS.NUM_CLASSES', 2],
      ['MODEL.ROI_BOX_HEAD.NAME', 'FastRCNNConvFCHead'],
      ['MODEL.ROI_BOX_HEAD.NUM_CONV', 4],
      ['MODEL.ROI_BOX_HEAD.NUM_FC', 1],
      ['MODEL.ROI_BOX_HEAD.NORM', 'GN'],
      ['MODEL.ROI_MASK_HEAD.NAME', 'MaskRCNNConvUpsampleHead'],
      ['MODEL.ROI_MASK_HEAD.NUM_CONV', 4],
      ['MODEL.ROI_MASK_HEAD.NORM', 'GN'],
      ['MODEL.ROI_MASK_HEAD.POOLER_RESOLUTION', 14],
      ['MODEL.PIXEL_STD', [57.375, 57.12, 58.395]],
      ['SOLVER.IMS_PER_BATCH', 16],
      ['SOLVER.BASE_LR', 0.02],
      ['SOLVER.MAX_ITER', maxIter],
      // ÷10 at the last 60/540 and 20/540 of the run, as the paper's last 60k and 20k of 540k
      ['SOLVER.STEPS', [Math.round(maxIter * (1 - 60 / 540)), Math.round(maxIter * (1 - 20 / 540))]],
      ['SOLVER.WEIGHT_DECAY', 1e-4],
      ['SOLVER.WEIGHT_DECAY_NORM', 0],
      ['SOLVER.MOMENTUM', 0.9],
      ['TEST.EVAL_PERIOD', Math.floor(maxIter / 10)],
      ['DATASETS.TRAIN', ['fieldwork_train']],
      ['DATASETS.TEST', ['fieldwork_val']],
      ['INPUT.MIN_SIZE_TRAIN', [640, 672, 704, 736, 768, 800]],
    ];
    for (const [key, value] of expected) assert.deepEqual(got.get(key), value, key);
    assertKnownKeys(flat);
    const yaml = readFileSync(join(out, 'config.yaml'), 'utf8');
    assert.equal(yaml, toYaml(flat, yaml.split('\n').filter((l) => l.startsWith('# ')).map((l) => l.slice(2))));
    assert.doesNotMatch(yaml, /_BASE_/);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    for (const cmd of ['--num-gpus 1', '--num-gpus 8', '--num-machines 2 --machine-rank 0 --dist-url', '--machine-rank 1']) assert.ok(readme.includes(cmd), cmd);

    // Where PyYAML is installed: the file parses to the same values (floats as floats, as yacs needs).
    const py = ['python3', '/usr/bin/python3'].map((bin) => spawnSync(bin, ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(out, 'config.yaml')], { encoding: 'utf8' })).find((r) => r.status === 0);
    if (!py) console.log('# PyYAML not installed: config.yaml not parsed by Python');
    else {
      const parsed = JSON.parse(py.stdout);
      for (const [key, value] of got) assert.deepEqual(key.split('.').reduce((o, k) => o[k], parsed), value, `yaml ${key}`);
      assert.match(yaml, /WEIGHT_DECAY_NORM: 0\.0\n/);
    }
  });

  test('presets and SyncBN: R101, the X152 32×8d GN cascade with train-time scale augmentation', () => {
    const run = PRESETS.paper;
    const base = { numClasses: 3, trainImages: 1000, trainDataset: 'a', testDataset: 'b' } as const;
    const get = (flat: ReturnType<typeof detectron2Config>) => { assertKnownKeys(flat); return new Map(flat.map(([k, v]) => [k, plainValue(v)])); };
    const r101 = get(detectron2Config(run, { ...base, preset: 'r101-gn', norm: 'GN' }));
    assert.equal(r101.get('MODEL.RESNETS.DEPTH'), 101);
    const x = get(detectron2Config(run, { ...base, preset: 'x152-32x8d-gn-cascade', norm: 'GN' }));
    const table: [string, unknown][] = [
      ['MODEL.RESNETS.DEPTH', 152], ['MODEL.RESNETS.NUM_GROUPS', 32], ['MODEL.RESNETS.WIDTH_PER_GROUP', 8],
      ['MODEL.ROI_HEADS.NAME', 'CascadeROIHeads'], ['MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG', true], ['MODEL.ROI_MASK_HEAD.NUM_CONV', 8],
      ['MODEL.RPN.POST_NMS_TOPK_TRAIN', 2000], ['INPUT.MIN_SIZE_TRAIN', [640, 864]], ['INPUT.MIN_SIZE_TRAIN_SAMPLING', 'range'],
      ['INPUT.MAX_SIZE_TRAIN', 1440], ['INPUT.CROP.ENABLED', true], ['SOLVER.IMS_PER_BATCH', 128], ['SOLVER.BASE_LR', 0.16],
      ['SOLVER.MAX_ITER', Math.ceil((72 * 1000) / 128)], ['MODEL.WEIGHTS', ''], ['MODEL.BACKBONE.FREEZE_AT', 0], ['MODEL.RESNETS.NORM', 'GN'],
    ];
    for (const [k, v] of table) assert.deepEqual(x.get(k), v, k);
    const sync = get(detectron2Config(run, { ...base, preset: 'r50-gn', norm: 'SyncBN', imsPerBatch: 64 }));
    for (const k of ['MODEL.RESNETS.NORM', 'MODEL.FPN.NORM', 'MODEL.ROI_BOX_HEAD.NORM', 'MODEL.ROI_MASK_HEAD.NORM']) assert.equal(sync.get(k), 'SyncBN', k);
    assert.equal(sync.get('TEST.PRECISE_BN.ENABLED'), true);
    assert.equal(sync.get('SOLVER.BASE_LR'), 0.08); // 0.02 × 64 / 16, as scratch_mask_rcnn_R_50_FPN_9x_syncbn.yaml
  });
});
