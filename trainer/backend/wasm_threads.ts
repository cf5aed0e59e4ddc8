// The tfjs WASM backend's multi-threaded build (XNNPACK on a pthread pool) under Node, without
// touching node_modules. tfjs 4.22 turns it off in Node (tensorflow/tfjs#3830) because Emscripten
// starts its pthread workers from `blob:` URLs, which Node's Worker refuses (ERR_WORKER_PATH). This
// module, during backend start-up only:
//   1. reports thread support to tfjs (flag WASM_HAS_MULTITHREAD_SUPPORT);
//   2. writes what tfjs would put in Blobs to real files and hands out their paths instead of blob:
//      URLs — the pthread worker script (prefixed so that, inside each worker, the factory "blob" it
//      is sent resolves to the factory file too) and the threaded module factory (prefixed with the
//      bundle-level names its source refers to: the bundle's require()s and three TypeScript
//      helpers, written here);
//   3. makes os.cpus() report 2 × threads, because tfjs' C++ sizes its XNNPACK pool once, at start,
//      as logical cores ÷ 2 (it assumes two hyperthreads per core; on a 2-core machine that is 1).
// Everything patched is restored when the backend is up; the generated files live in a temporary
// folder removed at exit. XNNPACK threads speed up only the matrix kernels; the rest of a step
// (JavaScript, element-wise kernels) stays on one thread, so data parallelism over single-threaded
// instances gains more per core. That is why the trainer prefers shards and gives each shard threads
// only when cores are left over (bench/cores.ts measures both; its figures are in the README).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** Own minimal versions of the TypeScript emit helpers the threaded factory's source calls. */
const HELPERS: Record<string, string> = {
  __values: 'function __values(o) { var s = typeof Symbol === "function" && Symbol.iterator, m = s && o[s], i = 0; if (m) return m.call(o); return { next: function () { return { value: o && o[i++], done: !o || i > o.length }; } }; }',
  __read: 'function __read(o, n) { var out = [], it = o[Symbol.iterator](); for (var k = 0; n === undefined || k < n; k++) { var r = it.next(); if (r.done) break; out.push(r.value); } return out; }',
  __spreadArray: 'function __spreadArray(to, from) { return to.concat(Array.prototype.slice.call(from)); }',
};

/** TypeScript's emit helpers (tslib) that a bundle may call from the factory's source. */
const TSLIB_HELPERS = ['__values', '__read', '__spreadArray', '__spread', '__assign', '__awaiter', '__generator', '__extends', '__rest', '__await', '__asyncValues'];

/** `var require$$N = require('x');` lines of the tfjs WASM bundle: name → module id. */
function bundleRequires(): Map<string, string> {
  const bundle = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  const out = new Map<string, string>();
  for (const m of readFileSync(bundle, 'utf8').matchAll(/^var (require\$\$\d+) = require\('([^']+)'\);$/gm)) out.set(m[1], m[2]);
  return out;
}

/** The file that stands for the factory Blob: the factory's source after a prelude defining its free names. */
function factoryFile(dir: string, source: string): string {
  const requires = bundleRequires();
  const lines: string[] = [];
  for (const name of new Set(source.match(/require\$\$\d+/g) ?? [])) {
    const id = requires.get(name);
    if (!id) throw new Error(`Error in wasm threads: the factory uses ${name}, which the bundle does not define`);
    lines.push(`var ${name} = require(${JSON.stringify(id)});`);
  }
  for (const name of TSLIB_HELPERS) {
    if (!new RegExp(`(^|[^\\w.$"'])${name.replace(/\$/g, '\\$')}\\(`).test(source)) continue;
    if (!HELPERS[name]) throw new Error(`Error in wasm threads: the factory uses the helper ${name}, which is not provided`);
    lines.push(HELPERS[name]);
  }
  const path = join(dir, 'wasm-factory.js');
  lines.push(`var commonjsGlobal = globalThis, _scriptDir = ${JSON.stringify(path)}, __filename = ${JSON.stringify(path)}, __dirname = ${JSON.stringify(dir)};`);
  writeFileSync(path, lines.join('\n') + '\n' + source);
  return path;
}

/**
 * Starts tfjs' WASM backend from its threaded-SIMD build with an XNNPACK pool of `threads` threads
 * (call instead of tf.setBackend('wasm'), with setWasmPaths already done). Returns the pool size
 * XNNPACK reports. Throws if the build cannot start; the caller falls back to the plain build.
 */
export async function startThreadedWasm(threads: number, setThreadsCount: (n: number) => void, getThreadsCount: () => number): Promise<number> {
  const dir = mkdtempSync(join(os.tmpdir(), 'fieldwork-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const factoryPath = join(dir, 'wasm-factory.js');
  const texts = new WeakMap<Blob, string>();
  const RealBlob = globalThis.Blob;
  const realCreate = URL.createObjectURL;
  const realCpus = os.cpus;
  let files = 0;
  class RecordingBlob extends RealBlob {
    constructor(parts: BlobPart[] = [], options?: BlobPropertyBag) {
      super(parts, options);
      const text = parts.map(String).join('');
      texts.set(this, text);
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) factoryFile(dir, text);
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = (blob: Blob) => {
    const text = texts.get(blob);
    if (text === undefined) return realCreate(blob);
    const path = join(dir, `worker-${files++}.js`);
    // Inside a pthread worker, URL.createObjectURL(mainScriptUrlOrBlob) must give the factory file.
    writeFileSync(path, `URL.createObjectURL = function () { return ${JSON.stringify(factoryPath)}; }; URL.revokeObjectURL = function () {};\n${text}`);
    return path;
  };
  os.cpus = () => Array.from({ length: 2 * threads }, () => realCpus()[0]);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('Error in wasm threads: the threaded build did not start');
    return getThreadsCount();
  } finally {
    globalThis.Blob = RealBlob;
    URL.createObjectURL = realCreate;
    os.cpus = realCpus;
  }
}
