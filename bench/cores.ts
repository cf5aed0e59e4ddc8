// Which way of using every core wins, measured in one run: the cpu preset's train and predict
// images/s with (a) one thread (WASM's plain build), (b) one WASM instance on tfjs' threaded build
// with an XNNPACK pool of one thread per core (trainer/backend/wasm_threads.ts), (c) one shard per
// core, each a plain single-threaded WASM instance (trainer/parallel, what the trainer does by
// default when a batch has at least as many images as there are cores).
//   npx tsx bench/cores.ts [--size 160] [--ims 4] [--steps 8]
// Each set-up runs in its own process (the backend is chosen once per process); medians after one
// warm-up step; the synthetic batch of bench/synthetic-batch.ts.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { syntheticTrainBatch } from './synthetic-batch.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child(size: number, ims: number, steps: number, shards: number, wasmThreads: number): Promise<void> {
  const { initBackend, wasmThreadsInUse } = await import('../trainer/backend/index.ts');
  const { validateRunConfig } = await import('../trainer/common/config.ts');
  const { MaskRcnn, buildMaskRcnnOptions } = await import('../trainer/model/mask_rcnn.ts');
  const { SgdMomentum } = await import('../trainer/optim.ts');
  const { DataParallel } = await import('../trainer/parallel/data_parallel.ts');
  const backend = await initBackend('wasm', { wasmThreads });
  const c = validateRunConfig({ preset: 'cpu', solver: { imsPerBatch: ims }, input: { trainShortSides: [size], testShortSide: size } });
  const options = buildMaskRcnnOptions(c, 4);
  const model = new MaskRcnn(options);
  const optim = new SgdMomentum(model.store, 0.9, 1e-4);
  const pool = await DataParallel.start(shards, backend, options, wasmThreads);
  const { samples } = await syntheticTrainBatch(size, ims);
  const train: number[] = [], predict: number[] = [];
  for (let it = 0; it <= steps; it++) {
    let t0 = performance.now();
    await pool.trainStep(model, optim, samples, c.input.sizeDivisibility, 0.001, it, 0);
    if (it > 0) train.push(performance.now() - t0);
    t0 = performance.now();
    await pool.detect(model, samples, c.input.sizeDivisibility);
    if (it > 0) predict.push(performance.now() - t0);
  }
  const threads = [wasmThreadsInUse(), ...(await pool.workerWasmThreads())];
  // This thread's XNNPACK on one 1024² matrix product (what the threaded build speeds up).
  const tf = await import('@tensorflow/tfjs-core');
  const a = tf.randomNormal([1024, 1024]) as import('@tensorflow/tfjs-core').Tensor2D;
  for (let i = 0; i < 2; i++) tf.matMul(a, a).dispose();
  const mm: number[] = [];
  for (let i = 0; i < 7; i++) { const t0 = performance.now(); tf.matMul(a, a).dispose(); mm.push(performance.now() - t0); }
  a.dispose();
  await pool.close();
  process.stdout.write(JSON.stringify({ shards: pool.shards, threads, train: (ims * 1000) / median(train), predict: (ims * 1000) / median(predict), matmulGflops: (2 * 1024 ** 3) / median(mm) / 1e6, rssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
  process.exit(0);
}

if (args[0] === '--child') {
  await child(Number(args[1]), Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5]));
} else {
  await syntheticTrainBatch(8, 1); // fail early if the trainer cannot load
  const size = Number(opt('--size', '160')), ims = Number(opt('--ims', '4')), steps = Number(opt('--steps', '8'));
  const cores = availableParallelism();
  console.log(`using ${cores} cores: cpu preset, ${size} px, batch ${ims}, median of ${steps} steps after a warm-up; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const setups: [string, number, number][] = [
    ['one thread (plain WASM)', 1, 1],
    [`one instance, threaded WASM (${cores} XNNPACK threads)`, 1, cores],
    [`${Math.min(cores, ims)} shards (data parallel, plain WASM)`, Math.min(cores, ims), 1],
  ];
  const self = fileURLToPath(import.meta.url);
  let base = 0;
  for (const [label, shards, threads] of setups) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', String(size), String(ims), String(steps), String(shards), String(threads)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (r.status !== 0 || !line) {
      console.log(`${label.padEnd(48)} failed: ${(r.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`}`);
      continue;
    }
    const j = JSON.parse(line);
    base ||= j.train;
    console.log(`${label.padEnd(48)} train ${j.train.toFixed(2)} img/s (${(j.train / base).toFixed(2)}×)  predict ${j.predict.toFixed(2)} img/s  XNNPACK threads per instance ${j.threads.join('/')} (1024² matmul ${j.matmulGflops.toFixed(0)} GFLOP/s)  peak RSS ${Math.round(j.rssMb)} MB`);
  }
}
