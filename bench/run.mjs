#!/usr/bin/env node
// `npm run bench`: every benchmark, one after another, on this machine. Each prints its own medians.
//   node bench/run.mjs [train] [canvas] [eval] [vs-torchvision]   (default: train, canvas and eval)
// vs-torchvision needs Debian's python3-torch and python3-torchvision (see bench/vs-torchvision.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const all = { train: 'bench/train.ts', canvas: 'bench/canvas.ts', eval: 'bench/eval.ts', 'vs-torchvision': 'bench/vs-torchvision.ts' };
const chosen = process.argv.slice(2).filter((a) => a in all);
const names = chosen.length ? chosen : ['train', 'canvas', 'eval'];
console.log(`load before: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
if (names.includes('canvas')) {
  const build = spawnSync('npm', ['run', 'build:renderer', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
let failed = 0;
for (const name of names) {
  console.log(`\n== bench ${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', all[name]], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
