// `fieldwork-train` (what the CLI and the browser mode start) ends when its command does, also on tfjs'
// threaded WASM build, whose pthread workers would otherwise hold the process open after the last event.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import { tempDir } from '../helpers/tmp.ts';

const TRAINER_BIN = fileURLToPath(new URL('../../bin/fieldwork-train.js', import.meta.url));

test('fieldwork-train exits after a run on 2 shards × 2 XNNPACK threads', async () => {
  const runDir = join(tempDir(), 'run');
  await writeSyntheticRun(runDir, { seed: 5, train: 2, val: 1, width: 64, height: 64, config: { preset: 'tiny', backend: 'wasm', workers: 2, wasmThreads: 2, solver: { epochs: 1, imsPerBatch: 2 } } });
  const started = Date.now();
  const run = spawnSync(process.execPath, [TRAINER_BIN, 'train', runDir, '--json'], { encoding: 'utf8', timeout: 240_000, killSignal: 'SIGKILL' });
  assert.equal(run.signal, null, `killed after ${Math.round((Date.now() - started) / 1000)} s: it did not exit on its own`);
  assert.equal(run.status, 0, run.stderr);
  const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; reason?: string });
  assert.equal(events.at(-1)?.type, 'done');
  // exactly one run of the command: the entry does not start main() twice
  assert.equal(events.filter((e) => e.type === 'done').length, 1);
});
