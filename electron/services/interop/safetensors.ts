// The safetensors file layout (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets: [begin, end] } } relative to the data block, then raw
// little-endian tensors. Fieldwork's weights cross to and from PyTorch in it because it is documented,
// pickle-free (loading it runs no code) and trivial on both sides; torch.save / torch.load happen in
// Python (resources/interop/torchvision/fieldwork_model.py to-pth / from-pth).
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../trainer/io/atomic.ts';
import { UserError } from '../errors.ts';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export function writeSafetensors(path: string, tensors: Map<string, NamedTensor>): void {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const buf = Buffer.alloc(8 + head.length + offset);
  buf.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(buf, 8);
  let o = 8 + head.length;
  for (const t of tensors.values()) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.length * 4).copy(buf, o);
    o += t.data.length * 4;
  }
  writeFileAtomic(path, buf);
}

export function readSafetensors(path: string): Map<string, NamedTensor> {
  const buf = readFileSync(path);
  const bad = (why: string) => new UserError(`${path} is not a safetensors weights file: ${why}.`);
  if (buf.length < 8) throw bad('too short');
  const n = Number(buf.readBigUInt64LE(0));
  if (n <= 0 || 8 + n > buf.length) throw bad('bad header length');
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw bad('the header is not JSON');
  }
  const body = buf.subarray(8 + n);
  const out = new Map<string, NamedTensor>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (e.dtype !== 'F32') throw bad(`${name} is ${e.dtype}, only F32 is read`);
    const [a, b] = e.data_offsets;
    const size = e.shape.reduce((x, y) => x * y, 1);
    if (!(a >= 0 && b <= body.length && b - a === size * 4)) throw bad(`${name} has offsets ${a}..${b} for shape [${e.shape}]`);
    const data = new Float32Array(size);
    Buffer.from(data.buffer).set(body.subarray(a, b));
    out.set(name, { shape: e.shape, data });
  }
  return out;
}
