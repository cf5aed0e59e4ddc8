// fieldwork-train: headless train / resume / predict on a run folder (usable on a server without the app).
//   fieldwork-train train <run-dir> [--json]
//   fieldwork-train resume <run-dir> [--json]
//   fieldwork-train extend <run-dir> --minutes N [--json]   (train N minutes more from checkpoints/last, new schedule tail)
//   fieldwork-train predict <run-dir> --images <snapshot.json|coco.json|dir> --out <coco-results.json> [--json]
//   fieldwork-train estimate <run-dir> [--iterations N] [--json]   (measured warm-up; writes nothing)
// With --json, the protocol events go to stdout as JSON lines; otherwise one readable line each.
// Exit codes: 0 ok, 1 failed (one-line reason on stderr), 2 usage, 3 cancelled (SIGINT/SIGTERM; resumable).
import { resolve } from 'node:path';
import { estimate, train } from './train.ts';
import { predict } from './predict.ts';
import { EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE, type TrainerEvent } from './protocol.ts';

const USAGE = `usage:
  fieldwork-train train <run-dir> [--json]
  fieldwork-train resume <run-dir> [--json]
  fieldwork-train extend <run-dir> --minutes N [--json]
  fieldwork-train predict <run-dir> --images <snapshot.json|coco.json|dir> --out <coco-results.json> [--json]
  fieldwork-train estimate <run-dir> [--iterations N] [--json]`;

function fmt(e: TrainerEvent): string {
  switch (e.type) {
    case 'started': return `started on ${e.backend}: ${e.configSummary} (${e.trainImages} train / ${e.valImages} val images, from iteration ${e.startIteration})`;
    case 'progress': return `it ${e.iteration}/${e.totalIterations} epoch ${e.epoch.toFixed(2)} lr ${e.lr.toExponential(2)} loss ${e.losses.total?.toFixed(3)} ${e.imagesPerSecond.toFixed(2)} img/s eta ${Math.round(e.etaSeconds)} s`;
    case 'metric': return `${e.name} = ${e.value.toFixed(4)} @${e.iteration}`;
    case 'checkpoint': return `checkpoint ${e.kind} @${e.iteration}: ${e.path}`;
    case 'evaluation': return `${e.split} @${e.iteration}: box AP ${e.bbox[0]?.toFixed(3)} AP50 ${e.bbox[1]?.toFixed(3)} | mask AP ${e.segm[0]?.toFixed(3)} AP50 ${e.segm[1]?.toFixed(3)}`;
    case 'done': return `done (${e.reason}${e.stoppedEarly ? `, stopped early; best @${e.bestIteration}` : ''}) at iteration ${e.iteration}${e.bbox.length ? `: box AP ${e.bbox[0].toFixed(3)}, mask AP ${e.segm[0].toFixed(3)}` : ''}`;
    case 'verdict': return `${e.final ? 'verdict' : 'verdict so far'} @${e.iteration}: ${e.verdict.verdict ?? 'none'} (${e.verdict.confidence} confidence)`;
    case 'failed': return `failed: ${e.reason}`;
  }
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [command, runDir] = args;
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = (e: TrainerEvent) => {
    if (json) process.stdout.write(JSON.stringify(e) + '\n');
    else if (e.type !== 'metric') process.stdout.write(fmt(e) + '\n');
  };
  const extend = command === 'extend' && runDir && args.length === 4 && flag('--minutes') !== undefined;
  if (command === 'extend' && !extend) {
    process.stderr.write(`fieldwork-train: extend needs --minutes N\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const minutes = extend ? Number(flag('--minutes')) : undefined;
  if (extend && !(Number.isFinite(minutes) && minutes! > 0)) {
    process.stderr.write(`fieldwork-train: --minutes must be a positive number\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (((command === 'train' || command === 'resume') && runDir && args.length === 2) || extend) {
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const end = await train(resolve(runDir), { onEvent: out, signal: controller.signal, resume: command === 'resume', ...(extend ? { extendMinutes: minutes } : {}) });
    if (end.type === 'failed') {
      process.stderr.write(`fieldwork-train: ${end.reason.split('\n')[0]}\n`);
      return EXIT_FAILED;
    }
    return end.reason === 'cancelled' ? EXIT_CANCELLED : EXIT_OK;
  }
  if (command === 'predict' && runDir && flag('--images') && flag('--out')) {
    try {
      const n = await predict(resolve(runDir), {
        images: flag('--images')!, out: resolve(flag('--out')!),
        onProgress: (done, total) => { if (!json) process.stderr.write(`\rpredicted ${done}/${total} images`); },
      });
      if (json) process.stdout.write(JSON.stringify({ type: 'predictions', path: resolve(flag('--out')!), count: n }) + '\n');
      else process.stdout.write(`\nwrote ${n} detections to ${flag('--out')}\n`);
      return EXIT_OK;
    } catch (e) {
      process.stderr.write(`fieldwork-train: ${((e as Error).message ?? String(e)).split('\n')[0]}\n`);
      return EXIT_FAILED;
    }
  }
  if (command === 'estimate' && runDir && args.length === (flag('--iterations') !== undefined ? 4 : 2)) {
    const iterations = flag('--iterations') !== undefined ? Number(flag('--iterations')) : undefined;
    if (iterations !== undefined && !(Number.isInteger(iterations) && iterations >= 1)) {
      process.stderr.write(`fieldwork-train: --iterations must be a positive integer\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    try {
      const r = await estimate(resolve(runDir), { iterations });
      if (json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        const mins = (s: number) => (s >= 120 ? `${(s / 60).toFixed(0)} min` : `${s.toFixed(0)} s`);
        process.stdout.write(`${r.backend}: ${r.imagesPerSecond.toFixed(2)} img/s, ${r.secondsPerIteration.toFixed(3)} s/iteration (median of ${r.timedIterations}); ` +
          `${r.totalIterations} iterations ≈ ${mins(r.estimatedSeconds)} (evaluation ${mins(r.evaluationSeconds)})\n`);
        for (const note of r.notes ?? []) process.stdout.write(`  ${note}\n`);
      }
      return EXIT_OK;
    } catch (e) {
      process.stderr.write(`fieldwork-train: ${((e as Error).message ?? String(e)).split('\n')[0]}\n`);
      return EXIT_FAILED;
    }
  }
  process.stderr.write(USAGE + '\n');
  return EXIT_USAGE;
}
