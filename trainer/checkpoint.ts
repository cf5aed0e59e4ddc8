// Checkpoints: one binary file per checkpoint (checkpoints/last, checkpoints/best), written to a
// temporary file and renamed into place so a crash never leaves a torn checkpoint.
// Layout: "FWCK" | uint32 header bytes | JSON header (space-padded to 4 bytes) | float32 tensors.
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { assertDeviceAlive } from './backend/webgpu.ts';
import type { CocoCategory } from './common/coco.ts';
import { writeFileAtomic } from './io/atomic.ts';
import type { RunConfig } from './common/config.ts';
import type { ParamStore } from './model/layers.ts';
import type { SgdMomentum } from './optim.ts';

export interface CheckpointState {
  /** Iterations completed. */
  iteration: number;
  totalIterations: number;
  config: RunConfig;
  /** Model classes in index order (class i+1 = categories[i]). */
  categories: CocoCategory[];
  backend: string;
  /** Best val box AP so far (−1 when never evaluated). */
  bestBoxAp: number;
  bestIteration: number;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
  kind: 'param' | 'momentum';
}

interface Header extends CheckpointState {
  format: 1;
  tensors: TensorEntry[];
}

const MAGIC = 0x4b435746; // "FWCK" little-endian

/** Writes a checkpoint atomically (temp file + rename); values are read back asynchronously (GPU backends). */
export async function saveCheckpoint(path: string, state: CheckpointState, store: ParamStore, optimizer?: SgdMomentum): Promise<void> {
  const entries: TensorEntry[] = [];
  const tensors: tf.Tensor[] = [];
  let offset = 0;
  const add = (name: string, t: tf.Tensor, kind: TensorEntry['kind']) => {
    entries.push({ name, shape: t.shape, offset, kind });
    tensors.push(t);
    offset += t.size;
  };
  for (const [name, p] of store.params) add(name, p.variable, 'param');
  if (optimizer) for (const [name, b] of optimizer.buffers) add(name, b, 'momentum');
  const chunks = (await Promise.all(tensors.map((t) => t.data()))) as Float32Array[];
  // Values read from a lost GPU device are not the model's: keep the previous checkpoint instead.
  assertDeviceAlive();
  const header: Header = { format: 1, ...state, tensors: entries };
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - ((8 + Buffer.byteLength(json)) % 4)) % 4);
  const headBytes = Buffer.from(json, 'utf8');
  const buf = Buffer.alloc(8 + headBytes.length + offset * 4);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(headBytes.length, 4);
  headBytes.copy(buf, 8);
  const body = new Float32Array(buf.buffer, buf.byteOffset + 8 + headBytes.length, offset);
  let o = 0;
  for (const c of chunks) { body.set(c, o); o += c.length; }
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, buf);
}

export interface LoadedCheckpoint {
  state: CheckpointState;
  params: Map<string, { shape: number[]; data: Float32Array }>;
  momentum: Map<string, { shape: number[]; data: Float32Array }>;
}

export function readCheckpoint(path: string): LoadedCheckpoint {
  if (!existsSync(path)) throw new Error(`Error in readCheckpoint: ${path} does not exist`);
  const buf = readFileSync(path);
  if (buf.length < 8 || buf.readUInt32LE(0) !== MAGIC) throw new Error(`Error in readCheckpoint: ${path} is not a Fieldwork checkpoint`);
  const n = buf.readUInt32LE(4);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Header;
  const aligned = new Uint8Array(buf.length - 8 - n);
  aligned.set(buf.subarray(8 + n));
  const body = new Float32Array(aligned.buffer);
  const params = new Map<string, { shape: number[]; data: Float32Array }>();
  const momentum = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of header.tensors) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    (e.kind === 'param' ? params : momentum).set(e.name, { shape: e.shape, data: body.subarray(e.offset, e.offset + size) });
  }
  const { format: _f, tensors: _t, ...state } = header;
  return { state, params, momentum };
}

/** Copies checkpoint values into the model (and optimizer); shapes must match exactly. */
export function restoreCheckpoint(ck: LoadedCheckpoint, store: ParamStore, optimizer?: SgdMomentum): void {
  for (const [name, p] of store.params) {
    const v = ck.params.get(name);
    if (!v) throw new Error(`Error in restoreCheckpoint: parameter ${name} missing`);
    if (v.shape.join() !== p.variable.shape.join()) throw new Error(`Error in restoreCheckpoint: ${name} has shape ${v.shape}, model wants ${p.variable.shape}`);
    tf.tidy(() => p.variable.assign(tf.tensor(v.data, v.shape)));
  }
  store.version++;
  if (optimizer) {
    for (const [name, b] of optimizer.buffers) {
      const v = ck.momentum.get(name);
      if (!v) throw new Error(`Error in restoreCheckpoint: momentum of ${name} missing`);
      tf.tidy(() => b.assign(tf.tensor(v.data, v.shape)));
    }
  }
}
