// The import rules (.dependency-cruiser.cjs, `npm run lint:deps`) can fail: the committed config run by the real
// dependency-cruiser CLI over a small tree with one bad import per rule must name exactly those imports, and
// must leave the good ones (type-only api imports, trainer/common imports) alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

const tree: Record<string, string> = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'bundler', allowImportingTsExtensions: true, noEmit: true, verbatimModuleSyntax: true } }),
  'electron/api.ts': "import type { Box } from '../trainer/common/box.ts';\nexport type { Box };\nexport const API_METHODS = ['x'];\n",
  'electron/main/window.ts': 'export const w = 1;\n',
  'electron/services/ok.ts': "import { readFileSync } from 'node:fs';\nimport { area } from '../../trainer/common/box.ts';\nexport const ok = [readFileSync, area];\n",
  'electron/services/uses_electron.ts': "import { app } from 'electron';\nexport const a = app;\n",
  'electron/services/uses_main.ts': "import { w } from '../main/window.ts';\nexport const m = w;\n",
  'electron/services/cycle_a.ts': "import { b } from './cycle_b.ts';\nexport const a = () => b;\nexport interface A { x: number }\n",
  'electron/services/cycle_b.ts': "import type { A } from './cycle_a.ts';\nexport const b = (v: A) => v.x;\n",
  'trainer/common/box.ts': 'export interface Box { x: number }\nexport const area = (b: Box) => b.x;\n',
  'trainer/common/impure.ts': "import { join } from 'node:path';\nexport const j = join;\n",
  'trainer/common/reaches_up.ts': "import { area } from '../train.ts';\nexport const r = area;\n",
  'trainer/train.ts': "import { area } from './common/box.ts';\nexport { area };\n",
  'trainer/types_from_electron.ts': "import type { Box } from '../electron/api.ts';\nexport const t = (b: Box) => b;\n",
  'renderer/src/ok.ts': "import type { Box } from '../../electron/api.ts';\nimport { area } from '../../trainer/common/box.ts';\nexport const ok = (b: Box) => area(b);\n",
  'renderer/src/api_value.ts': "import { API_METHODS } from '../../electron/api.ts';\nexport const names = API_METHODS;\n",
  'renderer/src/reaches_trainer.ts': "import { area } from '../../trainer/train.ts';\nexport const r = area;\n",
  'renderer/src/Panel.svelte': "<script lang=\"ts\">\n  import { w } from '../../electron/main/window.ts';\n  let n: number = w;\n</script>\n<p>{n}</p>\n",
};

/** The violations dependency-cruiser reports for `tree`, as "rule: from → to" lines, sorted. */
function violations(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'fieldwork-deps-'));
  try {
    for (const [path, text] of Object.entries(tree)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    copyFileSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    // The project's packages (svelte, electron), so imports of them resolve as they do in the real tree.
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const r = spawnSync(process.execPath, [cli, 'electron', 'renderer', 'trainer', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    assert.ok(r.stdout, `dependency-cruiser printed nothing: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
    // node_modules is a link here, which the resolver follows to the real folder.
    return out.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*\/node_modules\//, 'node_modules/')}`).sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('each import rule flags its bad import and nothing else', () => {
  assert.deepEqual(violations(), [
    'common-is-pure: trainer/common/impure.ts → path',
    'common-is-pure: trainer/common/reaches_up.ts → trainer/train.ts',
    'no-circular: electron/services/cycle_a.ts → electron/services/cycle_b.ts',
    'renderer-api-types-only: renderer/src/api_value.ts → electron/api.ts',
    'renderer-only-common-and-api-types: renderer/src/Panel.svelte → electron/main/window.ts',
    'renderer-only-common-and-api-types: renderer/src/reaches_trainer.ts → trainer/train.ts',
    'services-not-electron: electron/services/uses_electron.ts → node_modules/electron/index.js',
    'services-not-electron: electron/services/uses_main.ts → electron/main/window.ts',
    'trainer-not-up: trainer/types_from_electron.ts → electron/api.ts',
  ]);
});
