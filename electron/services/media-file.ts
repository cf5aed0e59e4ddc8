// The checks behind both media routes (`/files/<key>/images/<id>` in the browser mode and
// `fieldwork-media://images/<id>` in the app): the stored path is resolved through any symlinks and must stay
// inside the project folder, be a regular file (not a FIFO, a device or a folder), and not exceed a size cap.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { NotFoundError, UserError } from './errors.ts';

export const DEFAULT_MAX_MEDIA_BYTES = 512 * 1024 * 1024;

/** The real path and size of a media file that passes the checks; NotFoundError / UserError otherwise. */
export function openMediaFile(projectDir: string, file: string, maxBytes = DEFAULT_MAX_MEDIA_BYTES): { path: string; size: number } {
  let real: string;
  let root: string;
  try {
    real = realpathSync(file);
    root = realpathSync(projectDir);
  } catch {
    throw new NotFoundError('The image file is missing from the project.');
  }
  const back = relative(root, real);
  if (back === '' || back.startsWith('..') || isAbsolute(back)) throw new UserError('The image file leads out of the project folder (a symbolic link?); it is not served.');
  const st = statSync(real);
  if (!st.isFile()) throw new UserError('The image file is not a regular file; it is not served.');
  if (st.size > maxBytes) throw new UserError(`The image file is ${st.size} bytes, over the ${maxBytes}-byte limit; it is not served.`);
  return { path: real, size: st.size };
}
