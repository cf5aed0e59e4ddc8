// The trainer's own check of the WASM heap (the second line after the app's refusal): a run folder
// whose config would not fit, on WASM, fails before its model is built — no step, no checkpoint.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { train } from '../../trainer/train.ts';
import { writeSyntheticRun } from '../../trainer/data/synthetic.ts';
import type { TrainerEvent } from '../../trainer/protocol.ts';
import { tempDir } from '../helpers/tmp.ts';

test('a paper-preset run folder on WASM fails at start naming the scale to lower; nothing was trained', async () => {
  const dir = join(tempDir(), 'run');
  await writeSyntheticRun(dir, { seed: 3, train: 2, val: 1, width: 64, height: 64, minObjects: 1, maxObjects: 2, minSize: 12, maxSize: 24, config: { preset: 'paper', backend: 'wasm' } });
  const events: TrainerEvent[] = [];
  const end = await train(dir, { onEvent: (e) => events.push(e) });
  assert.equal(end.type, 'failed');
  assert.match((end as { reason: string }).reason, /^Error in train: on wasm, input\.trainShortSides 800 needs about \d+\.\d GiB of memory in one WASM heap .*: \d+ fits/);
  assert.deepEqual(events.map((e) => e.type).filter((t) => t !== 'verdict'), ['failed'], 'no started, progress or checkpoint event');
  assert.ok(!existsSync(join(dir, 'checkpoints')), 'no checkpoint');
  assert.ok(!readFileSync(join(dir, 'metrics.jsonl'), 'utf8').includes('"progress"'));
});
