// A watched run's events: those its folder held when the detail was read (metrics.jsonl), then the live ones.
// Events streamed while the detail was on its way may also be in it; each is kept once.
import type { TrainerEvent } from '../../../../electron/api.ts';

/** One trainer event's identity: the same event read from metrics.jsonl and from the live stream has the same key. */
function keyOf(e: TrainerEvent): string {
  const r = e as unknown as Record<string, unknown>;
  return `${e.type}|${e.time}|${r.iteration ?? ''}|${r.split ?? ''}`;
}

/** `stored` in order, then the `arrived` events it does not already hold, in the order they came. */
export function mergeWatchedEvents(stored: readonly TrainerEvent[], arrived: readonly TrainerEvent[]): TrainerEvent[] {
  const seen = new Set(stored.map(keyOf));
  const out = [...stored];
  for (const e of arrived) {
    const key = keyOf(e);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
