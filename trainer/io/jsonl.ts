// The one reader of JSON-lines files: a run's metrics.jsonl (the trainer appends one event per line) and the
// metrics files of imported torchvision / Detectron2 runs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainerEvent } from '../protocol.ts';

/** Every line of `path` that parses as a JSON object, in order; a torn line (a crash mid-write) is skipped; no file → []. */
export function readJsonLines<T = Record<string, unknown>>(path: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (v !== null && typeof v === 'object') out.push(v as T);
    } catch {
      // a torn line: the writer stopped mid-line
    }
  }
  return out;
}

/** The events of a run folder's metrics.jsonl, in the order the trainer wrote them. */
export function readRunEvents(runDir: string): TrainerEvent[] {
  return readJsonLines<TrainerEvent>(join(runDir, 'metrics.jsonl'));
}
