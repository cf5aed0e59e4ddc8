// How close the app's time estimate comes to the run it estimates: asks the workbench for the estimate
// the Train screen shows (runs.estimate: a measured warm-up of the chosen config on this machine), then
// starts that run and times it from Start to done, and prints both and their ratio.
//   npx tsx bench/estimate-check.ts <project-dir> [--preset tiny|cpu|paper] [--epochs E]
// Run it on an idle machine: the estimate measures now, the run runs after.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PresetName } from '../trainer/common/config.ts';
import { Workbench } from '../electron/services/workbench.ts';

const args = process.argv.slice(2);
const project = args[0];
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (!project || project.startsWith('--')) {
  process.stderr.write('usage: tsx bench/estimate-check.ts <project-dir> [--preset P] [--epochs E]\n');
  process.exit(2);
}
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const options = { preset: (opt('--preset') ?? 'tiny') as PresetName, ...(opt('--epochs') ? { epochs: Number(opt('--epochs')) } : {}) };
const home = mkdtempSync(join(tmpdir(), 'fieldwork-estimate-'));
const wb = new Workbench({ userDataDir: home, resourcesDir: home });
try {
  await wb.api.projects.open(project);
  const loadBefore = load();
  const t0 = performance.now();
  const est = await wb.api.runs.estimate(options);
  const estimateWall = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const started = await wb.api.runs.start(options);
  let run = await wb.api.runs.get(started.id);
  while (!['done', 'failed', 'cancelled'].includes(run.status)) {
    await new Promise((r) => setTimeout(r, 1000));
    run = await wb.api.runs.get(started.id);
  }
  const actual = (performance.now() - t1) / 1000;
  const ratio = actual / est.estimatedSeconds;
  console.log(JSON.stringify({
    preset: options.preset, epochs: options.epochs ?? 'default', run: run.id, status: run.status, backend: est.backend,
    iterations: est.totalIterations, estimatedSeconds: Math.round(est.estimatedSeconds), actualSeconds: Math.round(actual),
    actualOverEstimate: Number(ratio.toFixed(2)), within30: Math.abs(ratio - 1) <= 0.3,
    estimateTook: Math.round(estimateWall), loadBefore, loadAfter: load(),
  }));
} finally {
  wb.close();
}
