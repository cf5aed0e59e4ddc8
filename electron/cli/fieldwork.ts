// The `fieldwork` command line: the same services as the app, for scripts and servers.
// Exit code 0 on success; otherwise 1 (bad input) or 2 (usage) with a one-line reason on stderr.
import { parseArgs } from 'node:util';
import type { DatasetStats, Split, TrainOptions } from '../api.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { runLearningCurve } from '../services/learning_curve.ts';
import { evaluationLine, fmtAp, learningCurvePointLine, reportVerdictLines } from './verdict_print.ts';
import { nodeTrainerLauncher, RunSupervisor } from '../services/runs.ts';
import { exportCoco } from '../services/coco_export.ts';
import { exportCommand, importDatasetCommand, InterchangeUsageError, printSkipped } from './interchange.ts';
import { importCoco } from '../services/coco_import.ts';
import { isUserFacing } from '../services/errors.ts';
import { importImages } from '../services/images.ts';
import { Project } from '../services/project.ts';
import { isSplit } from '../services/splits.ts';
import { SPLIT_USAGE, splitCommand } from './split.ts';
import { datasetStats } from '../services/stats.ts';
import { trainOverridesFromArgs } from './train_args.ts';
import { plural, pluralWord } from '../../trainer/common/plural.ts';

const USAGE = `usage:
  fieldwork create <project-dir> [--name N]
  fieldwork import <project-dir> <path>...
  fieldwork import-coco <project-dir> <coco.json | export-folder> [--split train|val|test] [--strict] [--json]
  fieldwork export-coco <project-dir> <out.json> [--split S] [--images-dir D]
  fieldwork import-dataset <project-dir> <folder | coco.json> [--format coco|yolo|voc|labelme] [--split S] [--strict] [--json]
  fieldwork export <project-dir> <out-dir> --format coco|yolo|yolo-seg|voc|labelme|masks [--split S] [--copy-images] [--json]
  fieldwork stats <project-dir> [--json]
  fieldwork train <project-dir> [--preset cpu|paper|tiny] [--epochs E | --iterations N | --minutes M] [--config file.json] [--set key=value …] [--json]
  fieldwork extend <project-dir> <run-id> --minutes M [--json]
  fieldwork learning-curve <project-dir> [--preset P] [--fractions 0.25,0.5,1] [--epochs E | --iterations N] [--json]
${SPLIT_USAGE}
  fieldwork eval --gt <coco.json> --dt <coco-results.json> --iou-type bbox|segm [--json]
  fieldwork export-run <project-dir> <out-dir> --engine detectron2|torchvision [--preset P] [--run ID] [--images copy|link|absolute] [--norm GN|SyncBN]
  fieldwork import-run <project-dir> <export-dir | results.json> [--json]
  fieldwork export-weights <project-dir> <run-id> <out.pth> --format torchvision`;

class UsageError extends Error {}

type Out = { log: (line: string) => void; error: (line: string) => void };

export async function main(argv: string[], out: Out = { log: (l) => console.log(l), error: (l) => console.error(l) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'create': {
        const { values, positionals } = parse(rest, { name: { type: 'string' } }, 1);
        const project = Project.create(positionals[0], values.name as string | undefined);
        out.log(`created project "${project.info().name}" in ${project.dir}`);
        project.close();
        return 0;
      }
      case 'import': {
        const { values, positionals } = parse(rest, { json: { type: 'boolean' } }, 2, Infinity);
        return await withProject(positionals[0], async (project) => {
          const report = await importImages(project, positionals.slice(1), { onProgress: progress(out, values.json) });
          if (values.json) out.log(JSON.stringify(report));
          else {
            out.log(`imported ${plural(report.imported.length, 'image')}, ${report.alreadyPresent.length} already present, ${report.failed.length} failed`);
            for (const f of report.failed) out.log(`  failed: ${f.path}: ${f.reason}`);
          }
          return report.failed.length > 0 && report.imported.length === 0 && report.alreadyPresent.length === 0 ? 1 : 0;
        });
      }
      case 'import-coco': {
        const { values, positionals } = parse(rest, { split: { type: 'string' }, json: { type: 'boolean' }, strict: { type: 'boolean' } }, 2);
        const split = checkSplit(values.split);
        return await withProject(positionals[0], async (project) => {
          const report = await importCoco(project, positionals[1], { split, strict: Boolean(values.strict), onProgress: progress(out, values.json) });
          if (values.json) {
            out.log(JSON.stringify(report));
            return 0;
          }
          out.log(`imported ${plural(report.images, 'image')} and ${plural(report.annotations, 'annotation')} (train ${report.splits.train}, val ${report.splits.val}, test ${report.splits.test})`);
          for (const [name, n] of Object.entries(report.perClass)) out.log(`  ${name}: ${n}`);
          for (const c of report.categoriesSkipped) out.log(`  skipped category ${c.id} "${c.name}": ${c.reason}`);
          for (const m of report.missingImages) out.log(`  missing: ${m.path}: ${m.reason}`);
          for (const f of report.failedImages) out.log(`  failed: ${f.path}: ${f.reason}`);
          for (const w of report.warnings) out.log(`  ${w}`);
          printSkipped(report, out);
          return 0;
        });
      }
      case 'export-coco': {
        const { values, positionals } = parse(rest, { split: { type: 'string' }, 'images-dir': { type: 'string' } }, 2);
        const split = checkSplit(values.split);
        return await withProject(positionals[0], async (project) => {
          const summary = exportCoco(project, positionals[1], { split, imagesDir: values['images-dir'] as string | undefined });
          out.log(`wrote ${summary.path}: ${plural(summary.images, 'image')}, ${plural(summary.annotations, 'annotation')}, ${plural(summary.categories, 'category')}`);
          return 0;
        });
      }
      case 'stats': {
        const { values, positionals } = parse(rest, { json: { type: 'boolean' } }, 1);
        return await withProject(positionals[0], async (project) => {
          const stats = datasetStats(project);
          out.log(values.json ? JSON.stringify(stats) : formatStats(stats));
          return 0;
        });
      }
      case 'train':
      case 'learning-curve': {
        const { values, positionals } = parse(rest, { preset: { type: 'string' }, epochs: { type: 'string' }, iterations: { type: 'string' }, fractions: { type: 'string' }, json: { type: 'boolean' }, minutes: { type: 'string' }, config: { type: 'string' }, set: { type: 'string', multiple: true } }, 1);
        if (values.minutes !== undefined && (values.epochs !== undefined || values.iterations !== undefined)) throw new UsageError('give --minutes or --epochs / --iterations, not both');
        const overrides = trainOverridesFromArgs({ config: values.config as string | undefined, set: values.set as string[] | undefined, minutes: values.minutes as string | undefined });
        const preset = (values.preset ?? overrides?.preset ?? 'cpu') as string;
        if (!['cpu', 'paper', 'tiny'].includes(preset)) throw new UsageError(`--preset must be cpu, paper or tiny, not "${preset}"`);
        if (values.epochs !== undefined && values.iterations !== undefined) throw new UsageError('give --epochs or --iterations, not both');
        const options: TrainOptions = { preset: preset as TrainOptions['preset'], ...(overrides ? { overrides } : {}) };
        if (values.epochs !== undefined) options.epochs = positiveNumber(values.epochs, '--epochs');
        if (values.iterations !== undefined) options.iterations = positiveNumber(values.iterations, '--iterations');
        return await withProject(positionals[0], (project) => (command === 'train' ? trainCommand(project, options, Boolean(values.json), out) : learningCurveCommand(project, { ...options, fractions: values.fractions ? String(values.fractions).split(',').map((f) => positiveNumber(f, '--fractions')) : undefined }, Boolean(values.json), out)));
      }
      case 'export-run':
      case 'import-run':
      case 'export-weights': {
        const { interopCommand } = await import('../services/interop/cli.ts');
        return await interopCommand(command, rest, out);
      }
      case 'import-dataset':
        return await importDatasetCommand(rest, out);
      case 'export':
        return await exportCommand(rest, out);
      case 'extend': {
        const { values, positionals } = parse(rest, { minutes: { type: 'string' }, json: { type: 'boolean' } }, 2);
        if (values.minutes === undefined) throw new UsageError('extend needs --minutes M');
        const minutes = positiveNumber(values.minutes, '--minutes');
        return await withProject(positionals[0], (project) => extendCommand(project, positionals[1], minutes, Boolean(values.json), out));
      }
      case 'split':
        return await splitCommand(rest, out);
      case 'eval': {
        const { runEvalCommand } = await import('../../trainer/eval/cli.ts');
        return await runEvalCommand(rest);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof InterchangeUsageError) {
      out.error(`fieldwork: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (isUserFacing(err)) {
      out.error(`fieldwork: ${(err as Error).message}`);
      return 1;
    }
    out.error(`fieldwork: internal error: ${(err as Error).stack ?? err}`);
    return 1;
  }
}

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>, min: number, max = min) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length < min || parsed.positionals.length > max) throw new UsageError('wrong number of arguments');
  return parsed;
}

function positiveNumber(value: unknown, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, not "${value}"`);
  return n;
}

/** Prints trainer events as they come: JSON lines with --json, else one readable line each. */
function eventPrinter(json: boolean, out: Out) {
  let lastProgress = 0;
  return (runId: string, e: TrainerEvent) => {
    if (json) return out.log(JSON.stringify({ runId, ...e }));
    if (e.type === 'progress') {
      if (Date.now() - lastProgress < 2000 && e.iteration !== e.totalIterations) return;
      lastProgress = Date.now();
      return out.log(`  it ${e.iteration}/${e.totalIterations}  epoch ${e.epoch.toFixed(1)}  loss ${(e.losses.total ?? NaN).toFixed(3)}  ${e.imagesPerSecond.toFixed(2)} img/s  eta ${formatSeconds(e.etaSeconds)}`);
    }
    if (e.type === 'started') return out.log(`  training on ${e.backend}: ${e.configSummary}`);
    if (e.type === 'evaluation') return out.log(evaluationLine(e));
    if (e.type === 'failed') return out.log(`  failed: ${e.reason}`);
  };
}

const formatSeconds = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

/** Ctrl+C cancels the run (the trainer checkpoints; `resume` continues it later). */
function cancelOnInterrupt(runs: RunSupervisor, runId: () => string | undefined): () => void {
  const handler = () => {
    const id = runId();
    if (id && runs.isLive(id)) runs.cancel(id);
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

async function trainCommand(project: Project, options: TrainOptions, json: boolean, out: Out): Promise<number> {
  const print = eventPrinter(json, out);
  const runs = new RunSupervisor(project, nodeTrainerLauncher, (id, e) => print(id, e));
  const check = runs.check();
  if (!json) out.log(`dataset check: ${check.summary}`);
  if ((await runs.probeBudget(options)) && !json) out.log('  timed a short estimate first: nothing on this machine had priced this budget yet');
  const run = runs.start(options);
  if (!json) out.log(`run ${run.id}: ${run.trainImages} train / ${plural(run.valImages, 'val image')}, preset ${run.preset}, folder ${runs.runDir(run.id)}`);
  const release = cancelOnInterrupt(runs, () => run.id);
  const end = await runs.whenFinished(run.id);
  release();
  if (!json) {
    out.log(`run ${end.id} ${end.status}${end.bestBoxAp !== null ? `: best val box AP ${fmtAp(end.bestBoxAp)}, mask AP ${fmtAp(end.bestMaskAp ?? undefined)}` : ''}`);
    for (const line of reportVerdictLines(runs.runDir(end.id))) out.log(line);
    if (end.error) out.error(`fieldwork: ${end.error.split('\n')[0]}`);
  }
  return end.status === 'done' ? 0 : end.status === 'cancelled' ? 3 : 1;
}

async function extendCommand(project: Project, runId: string, minutes: number, json: boolean, out: Out): Promise<number> {
  const print = eventPrinter(json, out);
  const runs = new RunSupervisor(project, nodeTrainerLauncher, (id, e) => print(id, e));
  runs.extend(runId, minutes);
  const release = cancelOnInterrupt(runs, () => runId);
  const end = await runs.whenFinished(runId);
  release();
  if (!json) out.log(`run ${end.id} ${end.status}${end.bestBoxAp !== null ? `: best val box AP ${fmtAp(end.bestBoxAp)}` : ''}`);
  if (end.error) out.error(`fieldwork: ${end.error.split('\n')[0]}`);
  return end.status === 'done' ? 0 : end.status === 'cancelled' ? 3 : 1;
}

async function learningCurveCommand(project: Project, options: TrainOptions & { fractions?: number[] }, json: boolean, out: Out): Promise<number> {
  const print = eventPrinter(json, out);
  let current: string | undefined;
  const runs = new RunSupervisor(project, nodeTrainerLauncher, (id, e) => {
    current = id;
    print(id, e);
  });
  const release = cancelOnInterrupt(runs, () => current);
  const record = await runLearningCurve(project, runs, options, (r) => {
    const p = r.points.at(-1);
    if (!json && p) out.log(learningCurvePointLine(p));
  });
  release();
  if (json) out.log(JSON.stringify(record));
  else if (record.result) out.log(record.result.message);
  else out.error(`fieldwork: ${record.error}`);
  return record.status === 'done' ? 0 : 1;
}

function checkSplit(value: unknown): Split | undefined {
  if (value === undefined) return undefined;
  if (!isSplit(value)) throw new UsageError(`--split must be train, val or test, not "${value}"`);
  return value;
}

async function withProject(dir: string, fn: (project: Project) => Promise<number>): Promise<number> {
  const project = Project.open(dir);
  try {
    return await fn(project);
  } finally {
    project.close();
  }
}

function progress(out: Out, json: unknown) {
  if (json || !process.stderr.isTTY) return undefined;
  return (done: number, total: number) => process.stderr.write(`\r${done}/${total} ${pluralWord(total, 'image')}${done === total ? '\n' : ''}`);
}

export function formatStats(s: DatasetStats): string {
  const lines = [
    `images: ${s.images} (${s.labelledImages} labelled, ${s.unlabelledImages} unlabelled)`,
    `annotations: ${s.annotations} (${s.objectsPerImage.toFixed(2)} per labelled image)`,
    `splits: train ${plural(s.perSplit.train.images, 'image')} / ${plural(s.perSplit.train.annotations, 'object')}, val ${s.perSplit.val.images} / ${s.perSplit.val.annotations}, test ${s.perSplit.test.images} / ${s.perSplit.test.annotations}`,
    '',
    'class'.padEnd(24) + 'instances'.padStart(10) + 'images'.padStart(8) + 'train'.padStart(8) + 'val'.padStart(6) + 'test'.padStart(6),
  ];
  for (const c of s.classes) {
    lines.push(c.name.padEnd(24) + String(c.instances).padStart(10) + String(c.images).padStart(8) + String(c.perSplit.train).padStart(8) + String(c.perSplit.val).padStart(6) + String(c.perSplit.test).padStart(6));
  }
  return lines.join('\n');
}
