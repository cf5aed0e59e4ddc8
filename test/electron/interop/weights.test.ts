// Weight conversion between a Fieldwork model and the torchvision state dict (no Python needed here;
// the round-trip test compares predictions through real PyTorch).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../../../electron/services/interop/safetensors.ts';
import { fromTorchvisionState, toTorchvisionState, torchvisionKey } from '../../../electron/services/interop/torchvision_weights.ts';
import { UserError } from '../../../electron/services/errors.ts';
import { PRESETS, validateRunConfig } from '../../../trainer/common/config.ts';
import { initBackend } from '../../../trainer/backend/index.ts';
import { MaskRcnn, buildMaskRcnnOptions } from '../../../trainer/model/mask_rcnn.ts';
import { tempDir } from '../../helpers/tmp.ts';

const config = validateRunConfig({ ...PRESETS.tiny, roi: { ...PRESETS.tiny.roi, boxHeadConvs: 1 } });

function params(numClasses: number): Map<string, NamedTensor> {
  const model = new MaskRcnn(buildMaskRcnnOptions(config, numClasses));
  const out = new Map([...model.store.params].map(([n, p]) => [n, { shape: p.variable.shape, data: Float32Array.from(p.variable.dataSync() as Float32Array, (v, i) => v + i * 1e-6) }]));
  model.dispose();
  return out;
}
const shapes = (p: Map<string, NamedTensor>) => new Map([...p].map(([n, t]) => [n, t.shape]));

describe('torchvision weights', () => {
  before(async () => { await initBackend('cpu'); });

  test('Fieldwork → torchvision → Fieldwork is exact, every parameter maps to one key', () => {
    const ours = params(2);
    const torch = toTorchvisionState(ours, config);
    assert.equal(torch.size, ours.size);
    const back = fromTorchvisionState(torch, shapes(ours), config);
    for (const [name, t] of ours) assert.deepEqual(back.get(name)!.data, t.data, name);
  });

  test('layouts: conv OIHW, fc after the pooled map flattened C·H·W, background rows zero', () => {
    const ours = params(2);
    const torch = toTorchvisionState(ours, config);
    const stem = ours.get('backbone.stem.w')!; // [7, 7, 3, C]
    const C = stem.shape[3];
    const t = torch.get('backbone.stem.0.weight')!;
    assert.deepEqual(t.shape, [C, 3, 7, 7]);
    // ours[y=2][x=5][i=1][o=3] ↔ torch[o=3][i=1][y=2][x=5]
    assert.equal(t.data[((3 * 3 + 1) * 7 + 2) * 7 + 5], stem.data[((2 * 7 + 5) * 3 + 1) * C + 3]);
    const fc = ours.get('roi_heads.box.fc1.w')!; // [P·P·Cc, D], rows in (h, w, c) order
    const P = config.roi.boxPoolSize, Cc = config.roi.boxHeadConvChannels, D = fc.shape[1];
    assert.equal(torchvisionKey('roi_heads.box.fc1.w', config).key, 'roi_heads.box_head.2.weight'); // conv, Flatten, Linear
    const tf = torch.get('roi_heads.box_head.2.weight')!;
    const [h, w, c, o] = [3, 4, 5, 6];
    assert.equal(tf.data[o * P * P * Cc + c * P * P + h * P + w], fc.data[((h * P + w) * Cc + c) * D + o]);
    const bbox = torch.get('roi_heads.box_predictor.bbox_pred.weight')!;
    assert.equal(bbox.shape[0], 4 * 3);
    assert.ok(bbox.data.subarray(0, 4 * bbox.shape[1]).every((v) => v === 0), 'background box deltas are zero');
    const mask = torch.get('roi_heads.mask_predictor.mask_fcn_logits.weight')!;
    assert.deepEqual(mask.shape.slice(2), [1, 1]);
    assert.equal(mask.shape[0], 3);
    assert.ok(mask.data.subarray(0, mask.shape[1]).every((v) => v === 0));
  });

  test('refuses weights of another class count or architecture, naming the difference', () => {
    const two = shapes(params(2));
    const three = toTorchvisionState(params(3), config);
    assert.throws(() => fromTorchvisionState(three, two, config), (e: Error) => e instanceof UserError && /3 classes; this run has 2/.test(e.message));
    const missing = toTorchvisionState(params(2), config);
    missing.delete('rpn.head.cls_logits.weight');
    assert.throws(() => fromTorchvisionState(missing, two, config), /rpn\.head\.cls_logits\.weight is missing/);
    const extra = toTorchvisionState(params(2), config);
    extra.set('backbone.stages.4.0.convs.0.0.weight', { shape: [1], data: new Float32Array(1) });
    assert.throws(() => fromTorchvisionState(extra, two, config), /1 tensors the model does not have \(first: backbone\.stages\.4/);
  });

  test('converting into a checkpoint leaves no tensors behind, and the checkpoint restores into the model', async () => {
    const tfc = await import('@tensorflow/tfjs-core');
    const { torchvisionToCheckpoint } = await import('../../../electron/services/interop/weights_io.ts');
    const { readCheckpoint } = await import('../../../trainer/checkpoint.ts');
    const ours = params(2);
    const torch = toTorchvisionState(ours, config);
    const path = join(tempDir(), 'best');
    const before = tfc.memory().numTensors;
    await torchvisionToCheckpoint(torch, config, [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], path, 7);
    assert.equal(tfc.memory().numTensors, before);
    const ck = readCheckpoint(path);
    assert.equal(ck.state.iteration, 7);
    assert.deepEqual(ck.state.categories.map((c) => c.name), ['a', 'b']);
    for (const [name, t] of ours) assert.deepEqual(ck.params.get(name)!.data, t.data, name);
  });

  test('safetensors: written and read back bit for bit; a file that is not one is refused', () => {
    const dir = tempDir();
    const ours = toTorchvisionState(params(2), config);
    writeSafetensors(join(dir, 'w.safetensors'), ours);
    const back = readSafetensors(join(dir, 'w.safetensors'));
    assert.deepEqual([...back.keys()], [...ours.keys()]);
    for (const [k, t] of ours) { assert.deepEqual(back.get(k)!.shape, t.shape); assert.deepEqual(back.get(k)!.data, t.data); }
    assert.throws(() => readSafetensors(new URL(import.meta.url).pathname), /not a safetensors weights file/);
  });
});
