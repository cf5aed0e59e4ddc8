// Structured-clone data over a WebSocket, for tests that put a real browser page where the desktop app
// has a MessageChannelMain (test/trainer/gpu_host.test.ts). The shard protocol carries plain objects,
// arrays, strings, booleans, null, numbers (NaN and ±Infinity included) and typed arrays; this codec
// round-trips exactly those (typed arrays as raw bytes, so values are bit-identical) and refuses
// anything else, as structured clone would refuse functions. Used on both sides (Node and the page).

const TYPED = { Float32Array, Float64Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, Uint8ClampedArray } as const;
type TypedName = keyof typeof TYPED;
type Typed = InstanceType<(typeof TYPED)[TypedName]>;

/** One binary frame: u32 JSON length, the JSON, then each typed array's bytes (8-byte aligned). */
export function encode(value: unknown): ArrayBuffer {
  const arrays: Typed[] = [];
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $num: String(v) };
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v === undefined) return { $undef: 1 };
    if (ArrayBuffer.isView(v)) {
      const name = v.constructor.name as TypedName;
      if (!(name in TYPED)) throw new Error(`wire.encode: unsupported view ${name}`);
      arrays.push(v as Typed);
      return { $ta: name, i: arrays.length - 1 };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, walk(x)]));
    }
    throw new Error(`wire.encode: not structured-clone data the protocol uses (${typeof v})`);
  };
  const json = new TextEncoder().encode(JSON.stringify(walk(value)));
  const align = (n: number) => Math.ceil(n / 8) * 8;
  let size = align(4 + json.length);
  for (const a of arrays) size += 8 + align(a.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  out.set(json, 4);
  let o = align(4 + json.length);
  for (const a of arrays) {
    view.setUint32(o, a.byteLength, true);
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o + 8);
    o += 8 + align(a.byteLength);
  }
  return out.buffer;
}

export function decode(frame: ArrayBuffer | Uint8Array): unknown {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const align = (n: number) => Math.ceil(n / 8) * 8;
  const jsonLen = view.getUint32(0, true);
  const tree = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + jsonLen)));
  const arrays: ArrayBuffer[] = [];
  let o = align(4 + jsonLen);
  while (o < bytes.byteLength) {
    const n = view.getUint32(o, true);
    arrays.push(bytes.slice(o + 8, o + 8 + n).buffer);
    o += 8 + align(n);
  }
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const t = v as { $ta?: TypedName; i?: number; $num?: string; $undef?: number };
      if (t.$ta) return new TYPED[t.$ta](arrays[t.i!]);
      if (t.$num) return Number(t.$num);
      if (t.$undef) return undefined;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(tree);
}
