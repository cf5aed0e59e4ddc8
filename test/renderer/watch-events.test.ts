// A run watched after a reload: the events read from its folder, then those streamed while that read was on
// its way, each once and in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainerEvent } from '../../electron/api.ts';
import { mergeWatchedEvents } from '../../renderer/src/lib/train/watch-events.ts';

const progress = (iteration: number) => ({ type: 'progress', time: `2026-01-01T00:00:${String(iteration).padStart(2, '0')}Z`, iteration, totalIterations: 50, epoch: iteration / 10, lr: 0.01, losses: { total: 1 }, imagesPerSecond: 2, etaSeconds: 60 }) as unknown as TrainerEvent;
const evaluation = (iteration: number, split: 'val' | 'train') => ({ type: 'evaluation', time: '2026-01-01T00:00:10Z', iteration, split, bbox: [0.1], segm: [0.1] }) as unknown as TrainerEvent;

test('stored events first, then the streamed ones it lacks, each once', () => {
  const stored = [progress(1), progress(2), evaluation(2, 'val'), evaluation(2, 'train')];
  const arrived = [progress(2), evaluation(2, 'train'), progress(3), progress(4)];
  const merged = mergeWatchedEvents(stored, arrived);
  assert.deepEqual(merged.map((e) => `${e.type}:${(e as { iteration: number }).iteration}`), ['progress:1', 'progress:2', 'evaluation:2', 'evaluation:2', 'progress:3', 'progress:4']);
  assert.deepEqual(mergeWatchedEvents(stored, []), stored);
  assert.deepEqual(mergeWatchedEvents([], arrived.slice(2)), arrived.slice(2));
  // The same evaluation on two splits at one moment are two events.
  assert.equal(mergeWatchedEvents([evaluation(5, 'val')], [evaluation(5, 'train')]).length, 2);
});
