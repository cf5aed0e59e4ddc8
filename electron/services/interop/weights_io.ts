// Weights between a Fieldwork checkpoint and torchvision: the layout conversion (torchvision_weights.ts),
// safetensors on our side, and torch.save / torch.load done by Python (fieldwork_model.py), because
// .pth is a pickle whose layout varies across torch versions and whose loading runs code; Python's own
// loader (weights_only=True) is the reliable and safe reader.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CocoCategory } from '../../../trainer/common/coco.ts';
import type { RunConfig } from '../../../trainer/common/config.ts';
import { UserError } from '../errors.ts';
import { readSafetensors, writeSafetensors, type NamedTensor } from './safetensors.ts';
import { fromTorchvisionState, toTorchvisionState } from './torchvision_weights.ts';

/** This checkout's fieldwork_model.py; the app passes the one under its resourcesDir. */
export const FIELDWORK_MODEL_PY = fileURLToPath(new URL('../../../resources/interop/torchvision/fieldwork_model.py', import.meta.url));

let python: string | null | undefined;

/** A Python 3 that imports torch: $FIELDWORK_PYTHON, python3, /usr/bin/python3 (first that works), or null. */
export function findTorchPython(): string | null {
  if (python !== undefined) return python;
  const candidates = [process.env.FIELDWORK_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  python = candidates.find((c) => spawnSync(c, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0) ?? null;
  return python;
}

function runPython(args: string[], script = FIELDWORK_MODEL_PY): void {
  const py = findTorchPython();
  if (!py) throw new UserError('This needs Python 3 with PyTorch and torchvision (e.g. apt-get install python3-torch python3-torchvision, or set FIELDWORK_PYTHON).');
  const r = spawnSync(py, [script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new UserError(`Python could not convert the weights: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' ')}`);
}

/** A torchvision state dict from .safetensors (read here) or .pth (converted by Python first). */
export function readTorchvisionWeights(path: string, scratchDir: string, script?: string): Map<string, NamedTensor> {
  if (!existsSync(path)) throw new UserError(`${path} does not exist.`);
  if (path.endsWith('.safetensors')) return readSafetensors(path);
  const tmp = join(scratchDir, `weights-${process.pid}.safetensors`);
  runPython(['from-pth', path, tmp], script);
  return readSafetensors(tmp);
}

/** Writes `state` as .pth (through Python) or .safetensors, by the extension of `out`. */
export function writeTorchvisionWeights(state: Map<string, NamedTensor>, out: string): void {
  if (out.endsWith('.safetensors')) return writeSafetensors(out, state);
  const tmp = `${out}.safetensors`;
  writeSafetensors(tmp, state);
  runPython(['to-pth', tmp, out]);
}

async function modelShapes(config: RunConfig, numClasses: number): Promise<Map<string, number[]>> {
  const { initBackend } = await import('../../../trainer/backend/index.ts');
  try {
    await initBackend('cpu');
  } catch {
    // another backend is already up in this process: any backend builds the model
  }
  const { MaskRcnn, buildMaskRcnnOptions } = await import('../../../trainer/model/mask_rcnn.ts');
  const model = new MaskRcnn(buildMaskRcnnOptions(config, numClasses));
  try {
    return new Map([...model.store.params].map(([name, p]) => [name, p.variable.shape]));
  } finally {
    model.dispose();
  }
}

/** Converts torchvision weights into a Fieldwork checkpoint at `out` (refusing another architecture or class count). */
export async function torchvisionToCheckpoint(state: Map<string, NamedTensor>, config: RunConfig, categories: CocoCategory[], out: string, iteration: number): Promise<void> {
  const params = fromTorchvisionState(state, await modelShapes(config, categories.length), config);
  const { initBackend } = await import('../../../trainer/backend/index.ts');
  try { await initBackend('cpu'); } catch { /* already up */ }
  const tf = await import('@tensorflow/tfjs-core');
  const { MaskRcnn, buildMaskRcnnOptions } = await import('../../../trainer/model/mask_rcnn.ts');
  const { saveCheckpoint } = await import('../../../trainer/checkpoint.ts');
  const model = new MaskRcnn(buildMaskRcnnOptions(config, categories.length));
  try {
    for (const [name, p] of model.store.params) tf.tidy(() => p.variable.assign(tf.tensor(params.get(name)!.data, p.variable.shape)));
    await saveCheckpoint(out, { iteration, totalIterations: iteration, config, categories, backend: 'torchvision', bestBoxAp: -1, bestIteration: iteration }, model.store);
  } finally {
    model.dispose();
  }
}

/** A Fieldwork checkpoint's parameters as the torchvision state dict of fieldwork_model.build_model. */
export async function checkpointToTorchvision(checkpointPath: string): Promise<{ state: Map<string, NamedTensor>; config: RunConfig; categories: CocoCategory[] }> {
  const { readCheckpoint } = await import('../../../trainer/checkpoint.ts');
  const ck = readCheckpoint(checkpointPath);
  return { state: toTorchvisionState(ck.params, ck.state.config), config: ck.state.config, categories: ck.state.categories };
}
