import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { trainerCommand } from '../../electron/main/trainer-launcher.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

describe('trainer launcher (Electron main)', () => {
  test('packaged builds run the unpacked trainer through the unpacked tsx loader', () => {
    const argv = trainerCommand({ execPath: '/opt/Fieldwork/fieldwork', isPackaged: true, appPath: '/opt/Fieldwork/resources/app.asar' }, ['train', '/runs/1', '--json']);
    assert.deepEqual(argv, ['--import', 'file:///opt/Fieldwork/resources/app.asar.unpacked/node_modules/tsx/dist/esm/index.mjs', '/opt/Fieldwork/resources/app.asar.unpacked/trainer/cli.ts', 'train', '/runs/1', '--json']);
  });

  test('in development the command really starts the trainer CLI (run here with Node standing in for Electron)', () => {
    const argv = trainerCommand({ execPath: process.execPath, isPackaged: false, appPath: repo }, ['frobnicate']);
    const result = spawnSync(process.execPath, argv, { encoding: 'utf8' });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /usage:\s+fieldwork-train train <run-dir>/);
  });
});
