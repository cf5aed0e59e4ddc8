// The one atomic file write: every JSON artifact (snapshot, config, report, predictions, exports) and the
// checkpoints go through it, so a reader — or a crash — never sees half a file.
import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes `data` to a temporary file beside `path` and renames it over `path` (atomic on one file system).
 * The temporary name carries the process id, so two processes writing the same file never share one.
 */
export function writeFileAtomic(path: string, data: string | NodeJS.ArrayBufferView): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** `value` as JSON, written atomically; `indent` as JSON.stringify's (none: compact). */
export function writeJsonAtomic(path: string, value: unknown, indent?: number): void {
  writeFileAtomic(path, JSON.stringify(value, null, indent));
}
