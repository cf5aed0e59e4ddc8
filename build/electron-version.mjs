// Is the locked Electron current within its major line? `npm view electron@<major> version --json` lists what
// the registry serves; the locked version may be at most one minor ("patch line", e.g. 41.9.x when 41.10.x is
// out) behind the newest of its major. Used by test/build/electron-version.test.ts (CI) and runnable alone:
//   node build/electron-version.mjs      → prints the comparison, exit 1 when too far behind, 0 when unknown.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The Electron version package-lock.json pins. */
export function lockedElectron(projectDir = root) {
  const lock = JSON.parse(readFileSync(join(projectDir, 'package-lock.json'), 'utf8'));
  return lock.packages['node_modules/electron'].version;
}

function parse(v) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? m.slice(1).map(Number) : null;
}

/** The newest stable version of `major` among `versions`. */
export function newestOfMajor(versions, major) {
  let best = null;
  for (const v of versions) {
    const p = parse(v);
    if (!p || p[0] !== major) continue;
    if (!best || p[1] > best[1] || (p[1] === best[1] && p[2] > best[2])) best = p;
  }
  return best ? best.join('.') : null;
}

/** `{ok, message}`: ok false when `locked` is more than one minor line behind `newest` (same major). */
export function compareElectron(locked, newest) {
  const a = parse(locked);
  const b = parse(newest);
  if (!a || !b || a[0] !== b[0]) return { ok: false, message: `cannot compare Electron ${locked} with ${newest}` };
  const behind = b[1] - a[1];
  if (behind > 1) return { ok: false, message: `Electron ${locked} is ${behind} patch lines behind ${newest}: update it (ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm install --save-dev electron@${newest}).` };
  return { ok: true, message: `Electron ${locked}; the registry's newest ${b[0]}.x is ${newest}${behind === 1 ? ' (one line behind: update soon)' : ''}.` };
}

/** What the registry serves for electron@<major>, or null when it cannot be reached (within timeoutMs). */
export function registryVersions(major, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    execFile('npm', ['view', `electron@${major}`, 'version', '--json'], { timeout: timeoutMs, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } }, (err, stdout) => {
      if (err) return resolve(null);
      try {
        const parsed = JSON.parse(stdout);
        resolve(Array.isArray(parsed) ? parsed : [parsed]);
      } catch {
        resolve(null);
      }
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const locked = lockedElectron();
  const major = Number(locked.split('.')[0]);
  const versions = await registryVersions(major);
  if (!versions) {
    console.log(`Electron version check skipped: the npm registry is not reachable (locked ${locked}).`);
  } else {
    const result = compareElectron(locked, newestOfMajor(versions, major));
    console.log(result.message);
    if (!result.ok) process.exitCode = 1;
  }
}
