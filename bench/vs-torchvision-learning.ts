// Learning per wall-clock minute: Fieldwork's trainer vs torchvision, same data, same model, same solver.
//   npx tsx bench/vs-torchvision-learning.ts [--minutes 8] [--train 400] [--val 60] [--size 128]
//        [--eval-every-seconds 60] [--target 0.8] [--threads 2] [--seed 7] [--python PATH] [--keep]
// One deterministic synthetic set (trainer/data/synthetic.ts writeSyntheticRun: PNGs + COCO JSON
// with polygons) is written once. Ours trains on that run folder with the real train() (cpu preset
// at --size px, 4 images/iteration, flip aug; evalEveryIterations set from a measured estimate() so
// evaluations land ~every --eval-every-seconds of training). Torchvision (bench/torchvision_learn.py,
// the architecture of bench/torchvision_ref.py) trains on the same pixels and masks, decoded from
// the same files by this script, with the same SGD / warm-up / LR schedule / clip / weight decay,
// and writes val results JSON at each evaluation pause. Both sides' box AP50 on the val images come
// from trainer/eval/coco_eval.ts evaluateCoco. The two run one after the other (ours first).
// Torchvision runs with OPENBLAS_NUM_THREADS=1 (unless set): torch's own 2 threads plus OpenBLAS'
// pthread pool oversubscribe 2 cores and make its steps 1–4× slower (bench/vs-torchvision.ts
// measures both). Ours trains as the app does: the batch split over one thread per core.
// Training clocks exclude evaluation time; both are reported. Last line:
//   minutes to AP50 0.8: ours X torchvision Y        (">cap" when not reached within --minutes)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { CocoDataset, CocoResult } from '../trainer/common/coco.ts';
import { writeSyntheticRun } from '../trainer/data/synthetic.ts';
import { readSnapshot, splitDataset } from '../trainer/data/snapshot.ts';
import { evaluateCoco } from '../trainer/eval/coco_eval.ts';
import { rleFromPolygons, rleToMask } from '../trainer/common/rle.ts';
import { estimate, train, totalIterationsFor } from '../trainer/train.ts';
import { validateRunConfig } from '../trainer/common/config.ts';
import type { TrainerEvent } from '../trainer/protocol.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const here = dirname(fileURLToPath(import.meta.url));
const minutes = Number(opt('--minutes', '8'));
const nTrain = Number(opt('--train', '400')), nVal = Number(opt('--val', '60')), size = Number(opt('--size', '128'));
const evalEvery = Number(opt('--eval-every-seconds', '60'));
const target = Number(opt('--target', '0.8'));
const threads = Number(opt('--threads', '2'));
const seed = Number(opt('--seed', '7'));
const capSeconds = minutes * 60;

interface Row { k: number; iteration: number; trainSeconds: number; evalSeconds: number; ap50: number; ap: number }

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).join(' ');
/** Stop at the evaluation that reaches the target, or at the first one within half an interval of the cap. */
const shouldStopAt = (ap50: number, trainSeconds: number) => ap50 >= target || trainSeconds >= capSeconds - evalEvery / 2;
const reached = (rows: Row[]) => rows.find((r) => r.ap50 >= target);
const fmtMin = (s: number) => (s / 60).toFixed(2);

function printTable(name: string, rows: Row[]): void {
  console.log(`${name}: eval  iteration  train-min  eval-s  box AP50  box AP`);
  for (const r of rows) {
    console.log(`${name}: ${String(r.k).padStart(4)}  ${String(r.iteration).padStart(9)}  ${fmtMin(r.trainSeconds).padStart(9)}  ${r.evalSeconds.toFixed(1).padStart(6)}  ${r.ap50.toFixed(3).padStart(8)}  ${r.ap.toFixed(3).padStart(6)}`);
  }
}

function findPython(): string {
  const cands = [process.env.FIELDWORK_PYTHON, opt('--python', ''), 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const p of cands) {
    const r = spawnSync(p, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  throw new Error(`Error in vs-torchvision-learning: no python with torch + torchvision among ${cands.join(', ')}`);
}

/** The run's train and val images as raw pixels + row-major full-image masks for the torchvision side. */
async function exportForTorch(runDir: string, ds: CocoDataset, out: string): Promise<string> {
  const meta: Record<string, unknown> = { H: size, W: size };
  for (const split of ['train', 'val'] as const) {
    const images = ds.images.filter((im) => im.split === split);
    const px = new Uint8Array(images.length * size * size * 3);
    const masks: Uint8Array[] = [];
    const recs = [];
    for (let b = 0; b < images.length; b++) {
      const im = images[b];
      const { data, info } = await sharp(join(runDir, im.file_name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      if (info.width !== size || info.height !== size || info.channels !== 3) throw new Error(`Error in exportForTorch: ${im.file_name} is ${info.width}×${info.height}×${info.channels}`);
      px.set(data, b * size * size * 3);
      const anns = ds.annotations.filter((a) => a.image_id === im.id);
      for (const a of anns) masks.push(rleToMask(rleFromPolygons(a.segmentation as number[][], size, size)));
      recs.push({ id: im.id, boxes: anns.flatMap((a) => [a.bbox[0], a.bbox[1], a.bbox[0] + a.bbox[2], a.bbox[1] + a.bbox[3]]), labels: anns.map((a) => a.category_id) });
    }
    const mbuf = new Uint8Array(masks.reduce((s, m) => s + m.length, 0));
    let o = 0;
    for (const m of masks) { mbuf.set(m, o); o += m.length; }
    writeFileSync(join(out, `${split}.pixels.u8`), px);
    writeFileSync(join(out, `${split}.masks.u8`), mbuf);
    meta[split] = { pixelsFile: join(out, `${split}.pixels.u8`), masksFile: join(out, `${split}.masks.u8`), images: recs };
  }
  const path = join(out, 'data.json');
  writeFileSync(path, JSON.stringify(meta));
  return path;
}

async function runOurs(runDir: string, config: Record<string, unknown>): Promise<{ rows: Row[]; backend: string; peakRssMb: number; iterations: number; trainSeconds: number; evalTotal: number; evEvery: number }> {
  // Pick evalEveryIterations from a short measured warm-up (multiple of 10: progress events come every 10).
  const est = await estimate(runDir, { iterations: 5 });
  const evEvery = Math.max(10, Math.round(evalEvery / est.secondsPerIteration / 10) * 10);
  console.log(`ours: estimate() ${est.secondsPerIteration.toFixed(2)} s/iteration on ${est.backend} → evalEveryIterations ${evEvery}`);
  writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...config, solver: { ...(config.solver as object), evalEveryIterations: evEvery } }, null, 2));
  const rows: Row[] = [];
  let t0 = 0, evalStart = 0, lastIteration = 0, backend = '?';
  const evalSum = () => rows.reduce((a, r) => a + r.evalSeconds, 0);
  const end = await train(runDir, {
    onEvent: (e: TrainerEvent) => {
      const t = performance.now();
      if (e.type === 'started') { t0 = t; backend = e.backend; }
      // An evaluation round runs right after the progress event of its iteration (val loss, val AP,
      // best checkpoint); it ends at the val evaluation event or the best checkpoint after it.
      if (e.type === 'progress') { lastIteration = e.iteration; if (e.iteration % evEvery === 0) evalStart = t; }
      if (e.type === 'evaluation' && e.split === 'val') {
        rows.push({ k: rows.length + 1, iteration: e.iteration, trainSeconds: (evalStart - t0) / 1000 - evalSum(), evalSeconds: (t - evalStart) / 1000, ap50: e.bbox[1], ap: e.bbox[0] });
      }
      const last = rows[rows.length - 1];
      if (e.type === 'checkpoint' && e.kind === 'best' && last && last.iteration === e.iteration) last.evalSeconds = (t - evalStart) / 1000;
    },
    shouldStop: (e) => shouldStopAt(e.bbox[1], rows[rows.length - 1].trainSeconds),
  });
  if (end.type === 'failed') throw new Error(`Error in ours: training failed: ${end.reason}`);
  const last = rows[rows.length - 1];
  return { rows, backend, peakRssMb: process.resourceUsage().maxRSS / 1024, iterations: end.iteration ?? lastIteration, trainSeconds: last?.trainSeconds ?? 0, evalTotal: evalSum(), evEvery };
}

async function runTorch(python: string, cfgPath: string, dataPath: string, out: string, valGt: CocoDataset): Promise<{ rows: Row[]; peakRssMb: number; info: Record<string, unknown>; iterations: number; evalTotal: number }> {
  const proc = spawn(python, [join(here, 'torchvision_learn.py'), '--config', cfgPath, '--data', dataPath, '--out', out, '--threads', String(threads), '--eval-every', String(evalEvery)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' } });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const rows: Row[] = [];
  let info: Record<string, unknown> = {}, peak = 0, iterations = 0, evalTotal = 0;
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  for await (const line of createInterface({ input: proc.stdout })) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line);
    if (m.info) {
      info = m.info;
      console.log(`torchvision ${info.torchvision} / torch ${info.torch} (${python}): torch.get_num_threads() = ${info.threads}, ${((info.params as number) / 1e6).toFixed(2)} M params, OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS ?? 1}`);
    } else if (m.eval) {
      // Scored here, while the Python side waits (outside both of its clocks).
      const results = JSON.parse(readFileSync(m.file, 'utf8')) as CocoResult[];
      const s = evaluateCoco(valGt, results, 'bbox').stats;
      rows.push({ k: m.eval, iteration: m.iteration, trainSeconds: m.trainSeconds, evalSeconds: m.evalSeconds, ap50: s[1], ap: s[0] });
      peak = Math.max(peak, m.peakRssMb);
      evalTotal += m.evalSeconds;
      proc.stdin.write(shouldStopAt(s[1], m.trainSeconds) ? 'stop\n' : 'go\n');
    } else if (m.done) {
      peak = Math.max(peak, m.peakRssMb);
      iterations = m.iteration;
    }
  }
  const code = await exited;
  if (code !== 0) throw new Error(`Error in torchvision side: exited ${code}; stderr: ${stderr}`);
  return { rows, peakRssMb: peak, info, iterations, evalTotal };
}

async function main(): Promise<void> {
  const python = findPython();
  const dir = mkdtempSync(join(tmpdir(), 'fw-vs-tv-learn-'));
  const runDir = join(dir, 'run');
  const config = {
    preset: 'cpu',
    // Augmentation off: torchvision's side trains without it.
    input: { trainShortSides: [size], testShortSide: size, hflip: true, scaleJitter: [1, 1], photometric: 0, copyPaste: 0 },
    // One eval stream only (val), no periodic checkpoints, no built-in early stop: this script stops.
    solver: { imsPerBatch: 4, checkpointEveryIterations: 0, trainEvalImages: 0, earlyStopPatience: 0, evalEveryIterations: 1000 },
  };
  try {
    const ds = await writeSyntheticRun(runDir, { seed, train: nTrain, val: nVal, width: size, height: size, config });
    const c = validateRunConfig(config);
    const total = totalIterationsFor(c, nTrain);
    const snap = readSnapshot(runDir);
    const valGt = splitDataset(snap.dataset, 'val');
    const dataPath = await exportForTorch(runDir, ds, dir);
    const cfgPath = join(dir, 'tv-config.json');
    writeFileSync(cfgPath, JSON.stringify({ ...c, numClasses: snap.classes.categories.length, totalIterations: total }));
    const s = c.solver;
    console.log(`Learning per wall-clock minute, Fieldwork vs torchvision: synthetic shapes seed ${seed}, ${nTrain} train / ${nVal} val images ` +
      `(${ds.annotations.length} instances), ${size}×${size} px, cpu preset (${c.backbone.stageChannels.join('/')} ch, FPN ${c.fpnChannels}, ` +
      `${c.rpn.batchSizePerImage} anchors/img, ${c.roi.batchSizePerImage} RoIs/img), ${s.imsPerBatch} images/iteration, flip aug, ` +
      `SGD lr ${(s.baseLr * s.imsPerBatch / 16).toFixed(3)} momentum ${s.momentum} wd ${s.weightDecay} warm-up ${s.warmupIterations} it ×${s.warmupFactor}, ` +
      `drops at ${s.lrDropsFromEnd.map((f) => Math.round(total * (1 - f))).join('/')} of ${total} it, clip ${s.clipGradNorm}; ` +
      `target box AP50 ${target} on val (evaluateCoco), eval every ~${evalEvery} s of training, cap ${minutes} min per side`);

    console.log(`\nload before ours (/proc/loadavg): ${loadavg()}`);
    const ours = await runOurs(runDir, config);
    printTable('ours', ours.rows);
    console.log(`ours: backend ${ours.backend}, ${ours.iterations} iterations, ${fmtMin(ours.trainSeconds)} min training + ${fmtMin(ours.evalTotal)} min evaluation, peak RSS ${Math.round(ours.peakRssMb)} MB (whole bench process)`);

    console.log(`\nload before torchvision (/proc/loadavg): ${loadavg()}`);
    const tv = await runTorch(python, cfgPath, dataPath, dir, valGt);
    printTable('torchvision', tv.rows);
    const tvLast = tv.rows[tv.rows.length - 1];
    console.log(`torchvision: ${tv.iterations} iterations, ${fmtMin(tvLast?.trainSeconds ?? 0)} min training + ${fmtMin(tv.evalTotal)} min evaluation, peak RSS ${Math.round(tv.peakRssMb)} MB`);
    console.log(`load after: ${loadavg()}`);

    const o = reached(ours.rows), t = reached(tv.rows);
    console.log(`minutes to AP50 ${target}: ours ${o ? fmtMin(o.trainSeconds) : '>' + minutes} torchvision ${t ? fmtMin(t.trainSeconds) : '>' + minutes}`);
  } finally {
    if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
