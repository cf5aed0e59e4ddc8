// Crash safety: edits the server answered for are on disk, even when the server is killed with SIGKILL.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Project } from '../../electron/services/project.ts';
import { listAnnotations } from '../../electron/services/annotations.ts';
import { tempDir, writeImage } from '../helpers/tmp.ts';

const serve = fileURLToPath(new URL('../../electron/web/serve.ts', import.meta.url));

async function startServer(projectDir: string, userData: string): Promise<{ child: ChildProcess; origin: string; token: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', serve, '--project', projectDir, '--user-data', userData, '--allow', tmpdir()], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = line.match(/(http:\/\/127\.0\.0\.1:\d+\/#token=\w+&media=\w+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const parsed = new URL(url);
  return { child, origin: parsed.origin, token: new URLSearchParams(parsed.hash.slice(1)).get('token')! };
}

async function call(server: { origin: string; token: string }, method: string, ...args: unknown[]) {
  const res = await fetch(`${server.origin}/api/${method.replace('.', '/')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-fieldwork-token': server.token },
    body: JSON.stringify({ args }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error.message);
  return body.result;
}

describe('a killed server loses no saved edit', () => {
  test('SIGKILL after edits: a new server and a fresh connection find every edit', async () => {
    const dir = join(tempDir(), 'p');
    const src = tempDir();
    await writeImage(join(src, 'a.png'), 200, 100, 1);
    const userData = tempDir();
    let server = await startServer(await createProject(dir), userData);
    await call(server, 'images.import', [src]);
    const [image] = await call(server, 'images.list');
    const cls = await call(server, 'classes.create', 'dent');
    for (let i = 0; i < 20; i++) {
      await call(server, 'annotations.apply', image.id, [{ op: 'create', draft: { classId: cls.id, geometry: { kind: 'box', bbox: [i, i, 10, 10] } } }]);
    }
    const last = await call(server, 'annotations.apply', image.id, [{ op: 'update', id: 1, patch: { geometry: { kind: 'polygon', rings: [[0, 0, 50, 0, 50, 40]] } } }]);
    assert.equal(last.image.annotationCount, 20);
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));

    const reopened = Project.open(dir);
    const stored = listAnnotations(reopened, image.id);
    assert.equal(stored.length, 20);
    assert.deepEqual(stored[0].geometry, { kind: 'polygon', rings: [[0, 0, 50, 0, 50, 40]] });
    reopened.close();

    server = await startServer(dir, userData);
    assert.equal((await call(server, 'annotations.list', image.id)).length, 20);
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  });
});

async function createProject(dir: string): Promise<string> {
  Project.create(dir).close();
  return dir;
}
