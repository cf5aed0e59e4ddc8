// Train throughput per preset on the detected backend: median images/s over timed iterations and
// peak RSS. Each preset runs in its own child process so peak RSS is per preset.
//   npx tsx bench/train.ts [--backend auto|wasm|cpu] [--presets tiny,cpu,paper,paper@256] [--iterations N] [--ims N] [--workers N]
// Steps run as the trainer runs them: the batch split over one thread per core (--workers 1: one
// thread; see trainer/parallel).
// `preset@side` benches a preset at another short side. --ims overrides images per iteration; on
// non-GPU backends the paper preset runs 1 image/iteration. It is a GPU preset: R50-FPN at 800 px
// needs ~3 GB of activations for one image, and tfjs' WASM heap aborts past ~2.1 GB (measured), so
// on WASM it only runs at a reduced scale (paper@256).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { syntheticTrainBatch } from './synthetic-batch.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};

async function runOne(preset: string, backendChoice: string, iterations: number, ims: number, workers: number): Promise<void> {
  const { initBackend } = await import('../trainer/backend/index.ts');
  const { validateRunConfig } = await import('../trainer/common/config.ts');
  const { MaskRcnn, buildMaskRcnnOptions } = await import('../trainer/model/mask_rcnn.ts');
  const { SgdMomentum } = await import('../trainer/optim.ts');
  const { DataParallel, resolveWorkers } = await import('../trainer/parallel/data_parallel.ts');
  const backend = await initBackend(backendChoice as 'auto');
  const [name, side] = preset.split('@');
  const c = validateRunConfig({
    preset: name,
    ...(ims > 0 ? { solver: { imsPerBatch: ims } } : {}),
    ...(side ? { input: { trainShortSides: [Number(side)], testShortSide: Number(side) } } : {}),
  });
  const size = c.input.trainShortSides[c.input.trainShortSides.length - 1];
  const B = c.solver.imsPerBatch;
  const options = buildMaskRcnnOptions(c, 4);
  const model = new MaskRcnn(options);
  const opt = new SgdMomentum(model.store, 0.9, 1e-4);
  const pool = await DataParallel.start(resolveWorkers(workers, backend, B), backend, options);
  const { samples } = await syntheticTrainBatch(size, B);
  const times: number[] = [];
  for (let it = 0; it < iterations + 1; it++) {
    const t0 = performance.now();
    await pool.trainStep(model, opt, samples, c.input.sizeDivisibility, 0.001, it, 0);
    if (it > 0) times.push(performance.now() - t0); // first iteration warms up kernels
  }
  const threads = pool.shards;
  await pool.close();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const rssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ preset, backend, imageSize: size, imsPerBatch: B, threads, params: model.store.count, iterations, medianMsPerIteration: Math.round(median), imagesPerSecond: +(B * 1000 / median).toFixed(2), peakRssMb: Math.round(rssMb) }) + '\n');
}

if (args[0] === '--child') {
  await runOne(args[1], args[2], Number(args[3]), Number(args[4]), Number(args[5] ?? 0));
} else {
  const backend = opt('--backend', 'auto');
  const presets = opt('--presets', 'tiny,cpu,paper,paper@256').split(',');
  const self = fileURLToPath(import.meta.url);
  console.log(`train throughput (median of timed iterations after one warm-up), backend choice ${backend}`);
  for (const p of presets) {
    const paper = p.startsWith('paper');
    const iterations = Number(opt('--iterations', paper ? '2' : '8'));
    const ims = Number(opt('--ims', paper && backend !== 'tfjs-node-gpu' ? '1' : '0'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', p, backend, String(iterations), String(ims), opt('--workers', '0')], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (r.status !== 0 || !line) {
      const err = (r.stderr || '').split('\n').find((l) => /^\w*Error/.test(l)) ?? `exit ${r.status}`;
      console.log(`${p.padEnd(9)} failed: ${err.slice(0, 200)}${/Aborted/.test(err) ? ' (WASM heap is capped at 4 GB)' : ''}`);
      continue;
    }
    const j = JSON.parse(line);
    console.log(`${p.padEnd(9)} ${j.backend.padEnd(6)} ${j.imageSize}px ×${j.imsPerBatch} on ${j.threads} thread(s)  ${(j.params / 1e6).toFixed(2)}M params  ${j.imagesPerSecond} img/s (median ${j.medianMsPerIteration} ms/it)  peak RSS ${j.peakRssMb} MB`);
  }
}
