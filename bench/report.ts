// The "is my data enough?" report on real training: the same small model and schedule trained from
// scratch on synthetic shapes twice, once on a very small train set and once on a large one, each
// with periodic evaluation (val AP, train-sample AP, val loss); then the run report's verdict.
// The small set should read too_small (val AP peaks then falls while training loss keeps falling,
// and/or a big train-sample vs val gap); the large one should not.
//   npx tsx bench/report.ts [--small 24] [--large 400] [--val 48] [--iterations 600] [--eval-every 60]
//                           [--size 64] [--preset cpu] [--out /tmp/fw-report-bench] [--only small|large]
// test/trainer/verdict.test.ts runs a shorter version of the same experiment (runVerdictCase).
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeSyntheticRun } from '../trainer/data/synthetic.ts';
import { train } from '../trainer/train.ts';
import type { RunReport } from '../trainer/advice/report.ts';
import { writeRunReport } from '../trainer/advice/report.ts';

export interface VerdictCase {
  /** Train images (val is the same size in every case). */
  train: number;
  val: number;
  /** Iterations of the schedule (the same for every case, so only the amount of data differs). */
  iterations: number;
  evalEvery: number;
  /** Image side in pixels (square synthetic images; objects scale with it). */
  size: number;
  preset: 'cpu' | 'tiny';
  seed?: number;
  imsPerBatch?: number;
}

export interface VerdictCaseResult {
  report: RunReport;
  seconds: number;
  /** One line per evaluation: iteration, val box AP, train-sample box AP, val loss, train loss. */
  table: string;
}

const f3 = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(3) : '  –  ');

/** Writes a synthetic run folder in `dir`, trains it, writes report.json, returns the report. */
export async function runVerdictCase(dir: string, k: VerdictCase): Promise<VerdictCaseResult> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ims = k.imsPerBatch ?? 4;
  await writeSyntheticRun(dir, {
    seed: k.seed ?? 21, train: k.train, val: k.val, width: k.size, height: k.size,
    minObjects: 1, maxObjects: 4, minSize: Math.round(k.size * 0.16), maxSize: Math.round(k.size * 0.38),
    config: {
      preset: k.preset, backend: 'wasm',
      // No augmentation: the case measures how the verdict reads a run that memorises its images.
      input: { trainShortSides: [k.size], testShortSide: k.size, maxSize: Math.ceil(k.size * 1.667), scaleJitter: [1, 1], photometric: 0, copyPaste: 0 },
      solver: {
        imsPerBatch: ims, epochs: (k.iterations * ims) / k.train, evalEveryIterations: k.evalEvery,
        checkpointEveryIterations: 0, earlyStopPatience: 0, trainEvalImages: Math.min(k.val, 50), warmupIterations: 50,
      },
    },
  });
  const t0 = Date.now();
  const end = await train(dir);
  if (end.type === 'failed') throw new Error(`training failed: ${end.reason}`);
  const seconds = (Date.now() - t0) / 1000;
  const report = writeRunReport(dir);
  const at = (s: [number, number][], it: number) => s.find((p) => p[0] === it)?.[1];
  const lossAt = (it: number) => {
    let v: number | undefined;
    for (const [i, l] of report.curves.trainLoss) if (i <= it) v = l;
    return v;
  };
  const table = report.curves.valBoxAP
    .map(([it, ap]) => `  it ${String(it).padStart(5)}  val AP ${f3(ap)}  train-sample AP ${f3(at(report.curves.trainBoxAP, it))}  val loss ${f3(at(report.curves.valLoss, it))}  train loss ${f3(lossAt(it))}`)
    .join('\n');
  return { report, seconds, table };
}

export function describeResult(name: string, k: VerdictCase, r: VerdictCaseResult): string {
  const v = r.report.verdict;
  return [
    `${name}: ${k.train} train / ${k.val} val images, ${k.preset} preset at ${k.size}px, ${k.iterations} iterations (${((k.iterations * (k.imsPerBatch ?? 4)) / k.train).toFixed(1)} epochs), eval every ${k.evalEvery}: ${r.seconds.toFixed(0)} s`,
    r.table,
    `  verdict ${v.verdict} (${v.confidence}); decline ${f3(v.signals.decline)}, gap ${f3(v.signals.gap)}, train loss fell ${v.signals.trainLossFell}, val loss rose ${v.signals.valLossRose}; best ${f3(v.bestValAP)} @${v.bestIteration}`,
    ...v.evidence.map((e) => `  - ${e}`),
  ].join('\n');
}

if (process.argv[1] && /bench[\\/]report\.ts$/.test(process.argv[1])) {
  const args = process.argv.slice(2);
  const opt = (name: string, def: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : def;
  };
  const out = resolve(opt('--out', '/tmp/fw-report-bench'));
  const base = {
    val: Number(opt('--val', '48')), iterations: Number(opt('--iterations', '600')), evalEvery: Number(opt('--eval-every', '60')),
    size: Number(opt('--size', '64')), preset: opt('--preset', 'cpu') as 'cpu' | 'tiny', seed: Number(opt('--seed', '21')),
  };
  const only = opt('--only', '');
  for (const [name, n] of [['small', Number(opt('--small', '24'))], ['large', Number(opt('--large', '400'))]] as const) {
    if (only && only !== name) continue;
    const k = { ...base, train: n };
    const r = await runVerdictCase(join(out, name), k);
    console.log(describeResult(name, k, r));
  }
}
