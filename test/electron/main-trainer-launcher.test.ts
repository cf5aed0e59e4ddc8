import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { electronTrainerLauncher, trainerEntry, UtilityChild, type UtilityForkOptions, type UtilityProcessApi, type UtilityProcessLike } from '../../electron/main/trainer-launcher.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** Electron's utilityProcess.fork stood in by Node's child_process.fork: same module, args, env and pipes. */
function nodeUtilityProcess(forks: { modulePath: string; args: string[]; options: UtilityForkOptions }[]): UtilityProcessApi {
  return {
    fork(modulePath, args = [], options = {}) {
      forks.push({ modulePath, args, options });
      const child = fork(modulePath, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      const utility = Object.assign(new EventEmitter(), {
        get pid() {
          return child.pid;
        },
        stdout: child.stdout,
        stderr: child.stderr,
        kill: () => child.kill(),
        postMessage: (message: unknown) => child.send(message as never),
      });
      child.on('spawn', () => utility.emit('spawn'));
      child.on('exit', (code, signal) => utility.emit('exit', code ?? (signal ? 143 : 0)));
      return utility as unknown as UtilityProcessLike;
    },
  };
}

describe('trainer launcher (Electron main, utilityProcess)', () => {
  test('packaged builds fork the unpacked trainer bundle; development the repo entry', () => {
    assert.equal(trainerEntry({ isPackaged: true, appPath: '/opt/Fieldwork/resources/app.asar' }), '/opt/Fieldwork/resources/app.asar.unpacked/dist/trainer/utility-entry.mjs');
    assert.equal(trainerEntry({ isPackaged: false, appPath: repo }), `${repo}/trainer/utility-entry.mjs`);
  });

  test('no RunAsNode anywhere: the launcher forks a utility process, never ELECTRON_RUN_AS_NODE', () => {
    const source = readFileSync(new URL('../../electron/main/trainer-launcher.ts', import.meta.url), 'utf8');
    assert.doesNotMatch(source.replace(/^\s*\/\/.*$/gm, ''), /ELECTRON_RUN_AS_NODE|spawn\(/);
    const forks: { modulePath: string; args: string[]; options: UtilityForkOptions }[] = [];
    const fake: UtilityProcessApi = {
      fork(modulePath, args = [], options = {}) {
        forks.push({ modulePath, args, options });
        return Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough(), kill: () => true, postMessage() {} }) as unknown as UtilityProcessLike;
      },
    };
    electronTrainerLauncher({ isPackaged: false, appPath: repo }, { utilityProcess: fake, env: { A: '1' } })(['train', '/runs/1']);
    assert.equal(forks.length, 1);
    assert.deepEqual(forks[0].args, ['train', '/runs/1']);
    assert.equal(forks[0].options.env?.ELECTRON_RUN_AS_NODE, undefined);
    assert.equal(forks[0].options.env?.A, '1');
  });

  test('the forked entry really runs the trainer CLI; exit, close and stderr reach the services; connect sees the process', async () => {
    const forks: { modulePath: string; args: string[]; options: UtilityForkOptions }[] = [];
    const connected: string[][] = [];
    const launch = electronTrainerLauncher({ isPackaged: false, appPath: repo }, { utilityProcess: nodeUtilityProcess(forks), connect: (utility, args) => {
      assert.equal(typeof utility.postMessage, 'function');
      connected.push(args);
    } });
    const child = launch(['frobnicate']);
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    const [code] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    assert.equal(code, 2, stderr.join('\n'));
    assert.match(stderr.join('\n'), /usage:\s+fieldwork-train train <run-dir>/);
    assert.deepEqual(connected, [['frobnicate']]);
    assert.equal(forks[0].modulePath, `${repo}/trainer/utility-entry.mjs`);
  });

  test('kill: reported as the signal asked for, once', async () => {
    const utility = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough(), killed: 0, kill() { this.killed++; setImmediate(() => { this.stdout.end(); this.stderr.end(); (this as unknown as EventEmitter).emit('exit', 15); }); return true; }, postMessage() {} });
    const child = new UtilityChild(utility as unknown as UtilityProcessLike);
    child.stdout.resume();
    child.stderr.resume();
    assert.equal(child.kill('SIGTERM'), true);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    assert.equal(code, null);
    assert.equal(signal, 'SIGTERM');
    assert.equal(child.kill('SIGTERM'), false, 'an exited process is not killed again');
    assert.equal(utility.killed, 1);
  });
});
