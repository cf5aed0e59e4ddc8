// The trainer bundle the packaged app runs (build/bundle-trainer.mjs): JavaScript that plain Node starts
// with no TypeScript loader, its worker-thread entry and resolve hook next to it, tfjs/sharp/webgpu left as
// imports. (build/dist-check.mjs trains a tiny run with it from the packed app.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TRAINER_BUNDLE_FILES, TRAINER_EXTERNALS, bundleTrainer } from '../../build/bundle-trainer.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('trainer bundle', () => {
  // Inside the repo (ignored .tmp/), so that the externals resolve from node_modules as they do when packaged.
  let out = '';
  before(async () => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    out = mkdtempSync(join(root, '.tmp', 'trainer-bundle-'));
    await bundleTrainer({ quiet: true, outDir: out });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  test('writes the process entry, the worker entry and the resolve hook, and nothing that needs tsx', () => {
    assert.deepEqual(readdirSync(out).filter((f) => !f.endsWith('.map')).sort(), [...TRAINER_BUNDLE_FILES].sort());
    for (const file of ['utility-entry.mjs', 'worker-entry.mjs']) {
      const code = readFileSync(join(out, file), 'utf8');
      assert.doesNotMatch(code, /["']tsx(\/[^"']*)?["']/, `${file} imports tsx`);
      assert.doesNotMatch(code, /(from |import\()["'][^"']*\.ts["']/, `${file} imports a .ts file`);
      // tfjs stays external: one copy in node_modules, whose WASM binaries the backend finds next to it.
      assert.match(code, /from "@tensorflow\/tfjs-core"/, file);
      // esbuild heads each bundled file with its path: only the trainer's own sources are in.
      assert.deepEqual(code.match(/^\/\/ node_modules\/.*$/gm) ?? [], [], `${file} inlines packages`);
      assert.match(code, /^\/\/ trainer\/model\/mask_rcnn\.ts$/m, `${file} holds the model code`);
    }
    // The trainer starts its workers and its hook by URL relative to its own file; both are where it looks.
    assert.match(readFileSync(join(out, 'utility-entry.mjs'), 'utf8'), /new URL\("\.\/worker-entry\.mjs", import\.meta\.url\)/);
    assert.match(readFileSync(join(out, 'utility-entry.mjs'), 'utf8'), /new URL\("\.\/esm_resolve_hook\.mjs", import\.meta\.url\)/);
    assert.deepEqual(TRAINER_EXTERNALS, ['@tensorflow/*', 'sharp', 'webgpu']);
  });

  test('plain Node runs the bundled CLI without a TypeScript loader (usage error → exit 2)', () => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const r = spawnSync(process.execPath, [join(out, 'utility-entry.mjs'), 'no-such-command'], { cwd: out, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^usage:\n {2}fieldwork-train train <run-dir>/);
    assert.ok(existsSync(join(out, 'worker-entry.mjs')));
  });
});
