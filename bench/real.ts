// Learning on a real COCO export: ours vs torchvision at an identical config and iteration count on
// the same pixels, then ours with the data-aware config plus augmentation vs without, same budget.
//   npm run bench:real -- [--dataset <coco-export-folder>] [--minutes 30] [--evaluations 8] [--python PATH]
// Default dataset: ../shared/datasets/wagon-defects (skipped with a message where absent). Needs
// Debian's python3-torch python3-torchvision libopenblas0-pthread for the torchvision side
// (bench/torchvision_learn.py, the architecture of bench/torchvision_ref.py), run with
// OPENBLAS_NUM_THREADS=1. Both sides are scored by trainer/eval/coco_eval.ts on the val split.
//  1. ours, data-aware scale, one training side (no multi-scale, flip only), `--minutes` budget →
//     N iterations; torchvision trains exactly N iterations at that config on the same resized
//     pixels (square images only: the export is resized to side × side for torch).
//  2. ours, the same config with large-scale jitter, photometric jitter and copy-paste, same budget.
//  3. ours, the `cpu` preset as it was before the data-aware config (128–160 px, no augmentation),
//     same budget: the baseline of the "twice the mask AP50" target.
// Prints images/s, wall minutes, box/mask AP [95 % bootstrap interval over the val images] and AP50
// and peak RSS per run, then `ratio speed x boxAP y maskAP z`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { CocoAnnotation, CocoDataset, CocoImage, CocoResult } from '../trainer/common/coco.ts';
import { validateRunConfig, type RunConfig } from '../trainer/common/config.ts';
import { applyDataAware, dataAwareChoice, objectScaleSentence } from '../trainer/data/data_aware.ts';
import { evaluateCoco, type CocoEvalResult } from '../trainer/eval/coco_eval.ts';
import { bootstrapAp } from '../trainer/eval/bootstrap.ts';
import { rleFromPolygons, rleFromUncompressed, rleToMask } from '../trainer/common/rle.ts';
import { train } from '../trainer/train.ts';
import type { TrainerEvent } from '../trainer/protocol.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const here = dirname(fileURLToPath(import.meta.url));
const dataset = resolve(opt('--dataset', join(here, '..', '..', 'shared', 'datasets', 'wagon-defects')));
const minutes = Number(opt('--minutes', '30'));
/** Evaluations spread over each run of ours (solver.evaluations); a short run on a loaded machine needs fewer. */
const evaluations = Number(opt('--evaluations', '8'));
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).join(' ');

/** The export's train and val splits as one snapshot (absolute paths, unique ids, split per image). */
function readExport(dir: string): CocoDataset {
  const images: CocoImage[] = [], annotations: CocoAnnotation[] = [];
  let categories: CocoDataset['categories'] = [];
  for (const [folder, split] of [['train', 'train'], ['valid', 'val'], ['val', 'val']] as const) {
    const json = join(dir, folder, '_annotations.coco.json');
    if (!existsSync(json)) continue;
    const d = JSON.parse(readFileSync(json, 'utf8')) as CocoDataset;
    categories = d.categories;
    const idOf = new Map<number, number>();
    for (const im of d.images) {
      idOf.set(im.id, images.length + 1);
      images.push({ ...im, id: images.length + 1, file_name: join(dir, folder, im.file_name), split });
    }
    for (const a of d.annotations) annotations.push({ ...a, id: annotations.length + 1, image_id: idOf.get(a.image_id)! });
  }
  return { images, annotations, categories };
}

interface Side {
  name: string; iterations: number; imagesPerSecond: number; wallMinutes: number; box: number[]; mask: number[];
  /** 95 % bootstrap intervals of box and mask AP over the val images (trainer/eval/bootstrap.ts). */
  boxCi?: [number, number]; maskCi?: [number, number];
  peakRssMb?: number;
}

/** Samples this process's RSS (the trainer's shards are worker threads in it) until stopped; the peak in MB. */
function rssSampler(): () => number {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 250);
  return () => { clearInterval(t); return Math.max(peak, process.memoryUsage.rss()) / 2 ** 20; };
}

function intervals(box: CocoEvalResult, mask: CocoEvalResult): Pick<Side, 'boxCi' | 'maskCi'> {
  const b = bootstrapAp(box), m = bootstrapAp(mask);
  return { boxCi: [b.lo, b.hi], maskCi: [m.lo, m.hi] };
}

async function runOurs(name: string, root: string, snapshot: CocoDataset, config: RunConfig): Promise<Side> {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'snapshot.json'), JSON.stringify(snapshot));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const t0 = performance.now();
  const peakRss = rssSampler();
  let ips = 0;
  let ci: Pick<Side, 'boxCi' | 'maskCi'> = {};
  const end = await train(dir, { onEvent: (e: TrainerEvent) => {
    if (e.type === 'progress') ips = e.imagesPerSecond;
    if (e.type === 'started') console.log(`${name}: ${e.configSummary}`);
    // The final val evaluation is the one the done event reports.
    if (e.type === 'evaluation' && e.split === 'val' && e.interval) ci = { boxCi: e.interval.bbox, maskCi: e.interval.segm };
  } });
  const peakRssMb = peakRss();
  if (end.type === 'failed') throw new Error(`Error in bench:real (${name}): ${end.reason}`);
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  console.log(`${name}: plan ${plan.totalIterations} iterations at ${plan.secondsPerIteration?.toFixed(3)} s/iteration; kept ${plan.kept?.wallSeconds.toFixed(0)} s of ${plan.budgetSeconds} s`);
  return { name, iterations: end.iteration, imagesPerSecond: ips, wallMinutes: (performance.now() - t0) / 60000, box: end.bbox, mask: end.segm, ...ci, peakRssMb };
}

function findPython(): string | null {
  for (const p of [opt('--python', ''), process.env.FIELDWORK_PYTHON, '/usr/bin/python3', 'python3'].filter((x): x is string => !!x)) {
    if (spawnSync(p, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0) return p;
  }
  return null;
}

/** Resized pixels and masks (side × side) for torch, and the val ground truth at that size. */
async function exportForTorch(ds: CocoDataset, side: number, out: string): Promise<{ dataPath: string; valGt: CocoDataset }> {
  const meta: Record<string, unknown> = { H: side, W: side };
  const valGt: CocoDataset = { images: [], annotations: [], categories: ds.categories };
  for (const split of ['train', 'val'] as const) {
    const images = ds.images.filter((im) => im.split === split);
    const px = new Uint8Array(images.length * side * side * 3);
    const masks: Uint8Array[] = [];
    const recs = [];
    for (let b = 0; b < images.length; b++) {
      const im = images[b];
      if (im.width !== im.height) throw new Error(`Error in bench:real: the torchvision side needs square images; ${im.file_name} is ${im.width}×${im.height}`);
      const s = side / im.width;
      const buf = await sharp(im.file_name).rotate().removeAlpha().resize(side, side, { fit: 'fill' }).raw().toBuffer();
      px.set(buf, b * side * side * 3);
      const anns = ds.annotations.filter((a) => a.image_id === im.id && !a.iscrowd);
      for (const a of anns) {
        const rle = Array.isArray(a.segmentation) && a.segmentation.length
          ? rleFromPolygons(a.segmentation.map((r) => r.map((v) => v * s)), side, side)
          : rleFromPolygons([[a.bbox[0] * s, a.bbox[1] * s, (a.bbox[0] + a.bbox[2]) * s, a.bbox[1] * s, (a.bbox[0] + a.bbox[2]) * s, (a.bbox[1] + a.bbox[3]) * s, a.bbox[0] * s, (a.bbox[1] + a.bbox[3]) * s]], side, side);
        masks.push(rleToMask(rle));
        if (split === 'val') valGt.annotations.push({ ...a, bbox: a.bbox.map((v) => v * s) as CocoAnnotation['bbox'], area: a.area * s * s, segmentation: rle });
      }
      if (split === 'val') valGt.images.push({ ...im, width: side, height: side });
      recs.push({ id: im.id, boxes: anns.flatMap((a) => [a.bbox[0] * s, a.bbox[1] * s, (a.bbox[0] + a.bbox[2]) * s, (a.bbox[1] + a.bbox[3]) * s]), labels: anns.map((a) => a.category_id) });
    }
    const mbuf = new Uint8Array(masks.reduce((n, m) => n + m.length, 0));
    let o = 0;
    for (const m of masks) { mbuf.set(m, o); o += m.length; }
    writeFileSync(join(out, `${split}.pixels.u8`), px);
    writeFileSync(join(out, `${split}.masks.u8`), mbuf);
    meta[split] = { pixelsFile: join(out, `${split}.pixels.u8`), masksFile: join(out, `${split}.masks.u8`), images: recs };
  }
  writeFileSync(join(out, 'data.json'), JSON.stringify(meta));
  return { dataPath: join(out, 'data.json'), valGt };
}

async function runTorch(python: string, config: RunConfig, numClasses: number, iterations: number, dataPath: string, out: string, valGt: CocoDataset): Promise<Side> {
  const cfgPath = join(out, 'tv-config.json');
  writeFileSync(cfgPath, JSON.stringify({ ...config, numClasses, totalIterations: iterations }));
  const t0 = performance.now();
  const proc = spawn(python, [join(here, 'torchvision_learn.py'), '--config', cfgPath, '--data', dataPath, '--out', out, '--threads', '2', '--iterations', String(iterations), '--masks'],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' } });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise<number | null>((r) => proc.on('exit', r));
  let side: Side | null = null;
  for await (const line of createInterface({ input: proc.stdout })) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line);
    if (m.info) console.log(`torchvision ${m.info.torchvision} / torch ${m.info.torch}: ${m.info.threads} threads, ${(m.info.params / 1e6).toFixed(2)} M params, OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS ?? 1}`);
    if (m.eval) {
      const raw = JSON.parse(readFileSync(m.file, 'utf8')) as (CocoResult & { segmentation?: { size: [number, number]; counts: number[] } })[];
      const results = raw.map((r) => (r.segmentation ? { ...r, segmentation: rleFromUncompressed(r.segmentation) } : r)) as CocoResult[];
      const box = evaluateCoco(valGt, results, 'bbox'), mask = evaluateCoco(valGt, results, 'segm');
      side = {
        name: 'torchvision', iterations: m.iteration, imagesPerSecond: (m.iteration * config.solver.imsPerBatch) / m.trainSeconds, wallMinutes: 0,
        box: box.stats, mask: mask.stats, ...intervals(box, mask), peakRssMb: m.peakRssMb,
      };
      proc.stdin.write('stop\n');
    }
  }
  const code = await exited;
  if (code !== 0 || !side) throw new Error(`Error in bench:real: torchvision exited ${code}; ${stderr}`);
  side.wallMinutes = (performance.now() - t0) / 60000;
  return side;
}

function row(s: Side): string {
  const f = (v: number | undefined) => (v === undefined || v < 0 ? '   —' : (100 * v).toFixed(1).padStart(5));
  const ci = (c?: [number, number]) => (c ? ` [${(100 * c[0]).toFixed(1)}–${(100 * c[1]).toFixed(1)}]` : '');
  const rss = s.peakRssMb ? `  peak RSS ${s.peakRssMb.toFixed(0)} MB` : '';
  return `${s.name.padEnd(46)} ${String(s.iterations).padStart(6)} it  ${s.imagesPerSecond.toFixed(2).padStart(6)} img/s  ${s.wallMinutes.toFixed(1).padStart(5)} min  box AP ${f(s.box[0])}${ci(s.boxCi)} AP50 ${f(s.box[1])}  mask AP ${f(s.mask[0])}${ci(s.maskCi)} AP50 ${f(s.mask[1])}${rss}`;
}

async function main(): Promise<void> {
  if (!existsSync(join(dataset, 'train'))) {
    console.log(`bench:real: skipped — no COCO export at ${dataset} (pass --dataset <folder>)`);
    return;
  }
  const snapshot = readExport(dataset);
  const root = mkdtempSync(join(tmpdir(), 'fw-bench-real-'));
  try {
    const cpu = validateRunConfig({ preset: 'cpu', backend: 'wasm' });
    const choice = dataAwareChoice(snapshot, cpu)!;
    const fitted = applyDataAware(cpu, choice, () => false);
    const side = fitted.input.testShortSide;
    // One training side so torchvision (single scale) sees the identical config; flip only.
    const base0 = validateRunConfig({ ...fitted, input: { ...fitted.input, trainShortSides: [side] }, solver: { ...fitted.solver, budgetMinutes: minutes, evaluations, trainEvalImages: 0, earlyStopPatience: 0, checkpointEveryIterations: 0 } });
    const off = { scaleJitter: [1, 1] as [number, number], photometric: 0, copyPaste: 0 };
    const base = validateRunConfig({ ...base0, input: { ...base0.input, ...off } });
    const aug = validateRunConfig({ ...base, input: { ...base.input, scaleJitter: [0.5, 1.5], photometric: 0.2, copyPaste: 0.5 } });
    // The preset as it shipped before the data-aware config: its own 128–160 px scales and anchors, unfitted.
    const before = validateRunConfig({ ...cpu, dataAware: false, input: { ...cpu.input, ...off }, solver: base.solver });
    console.log(`bench:real on ${dataset}: ${snapshot.images.filter((i) => i.split === 'train').length} train / ${snapshot.images.filter((i) => i.split === 'val').length} val images, budget ${minutes} min per run of ours`);
    console.log(`cpu preset: ${objectScaleSentence(snapshot, cpu)}\ndata-aware: ${objectScaleSentence(snapshot, base)}; anchors ${base.rpn.anchorSizes}, ratios ${base.rpn.aspectRatios}`);
    console.log(`before: ${objectScaleSentence(snapshot, before)}`);
    console.log(`load before the cpu preset as before (/proc/loadavg): ${loadavg()}`);
    const old = await runOurs('cpu preset before #13 (160 px, no aug)', root, snapshot, before);
    console.log(`load before ours (/proc/loadavg): ${loadavg()}`);
    const ours = await runOurs('ours (data-aware, flip)', root, snapshot, base);
    const python = findPython();
    let tv: Side | null = null;
    if (!python) console.log('torchvision side skipped: no python with torch + torchvision (apt-get install python3-torch python3-torchvision libopenblas0-pthread)');
    else {
      console.log(`load before torchvision: ${loadavg()}`);
      const { dataPath, valGt } = await exportForTorch(snapshot, side, root);
      const numClasses = new Set(snapshot.annotations.map((a) => a.category_id)).size;
      tv = await runTorch(python, base, numClasses, ours.iterations, dataPath, root, valGt);
    }
    console.log(`load before ours with augmentation: ${loadavg()}`);
    const withAug = await runOurs('ours (data-aware + LSJ 0.5–1.5 + photo + paste)', root, snapshot, aug);
    console.log(`load after: ${loadavg()}\n`);
    for (const s of [old, ours, ...(tv ? [tv] : []), withAug]) console.log(row(s));
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : `n/a (${(100 * a).toFixed(1)} vs ${(100 * b).toFixed(1)})`);
    if (tv) console.log(`ratio speed ${ratio(ours.imagesPerSecond, tv.imagesPerSecond)} boxAP ${ratio(ours.box[0], tv.box[0])} maskAP ${ratio(ours.mask[0], tv.mask[0])}`);
    console.log(`augmentation vs none, same ${minutes} min budget: mask AP50 ${(100 * withAug.mask[1]).toFixed(1)} vs ${(100 * ours.mask[1]).toFixed(1)} (one run each)`);
    console.log(`data-aware + augmentation vs the cpu preset before, same ${minutes} min budget: mask AP50 ${(100 * withAug.mask[1]).toFixed(1)} vs ${(100 * old.mask[1]).toFixed(1)} → ${ratio(withAug.mask[1], old.mask[1])}× (target ≥ 2)`);
  } finally {
    if (!args.includes('--keep')) rmSync(root, { recursive: true, force: true });
  }
}

await main();
