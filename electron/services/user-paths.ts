// Paths typed by the user: relative ones (and `~/…`) mean their home folder, not the server's working
// directory, which in the browser mode is wherever `npm run web` was started.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export function fromHome(path: string, home = homedir()): string {
  const p = path.trim();
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(home, p);
}
