// The renderer's upload client (renderer/src/lib/api/uploads.ts) against the real browser-mode server: files go
// one by one with progress, a file over the per-file limit or with a refused name is listed and the rest import.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Workbench } from '../../electron/services/workbench.ts';
import { startWebServer, type WebServer } from '../../electron/web/server.ts';
import { createUploadRoutes } from '../../electron/web/uploads.ts';
import { takeSession } from '../../renderer/src/lib/api/http.ts';
import { uploadAndImport, type UploadProgress } from '../../renderer/src/lib/api/uploads.ts';
import { tempDir, writeImage } from '../helpers/tmp.ts';

let server: WebServer;
let workbench: Workbench;
const photos = tempDir();

before(async () => {
  workbench = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
  await workbench.api.projects.create(join(tempDir(), 'p'), 'p');
  server = await startWebServer({ workbench, staticDir: tempDir(), allow: [], routes: { uploads: createUploadRoutes({ stagingRoot: join(tempDir(), 'up'), maxFileBytes: 50_000 }) } });
  await writeImage(join(photos, 'a.png'), 40, 30, 5);
  await writeImage(join(photos, 'b.png'), 40, 30, 6);
  // What the page has once the launch URL was opened (electron/web/auth.ts).
  const store = new Map<string, string>();
  Object.assign(globalThis, {
    location: { origin: server.origin, hash: `#token=${server.token}&media=${server.mediaKey}`, pathname: '/' },
    history: { replaceState: () => undefined },
    sessionStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
  });
  assert.ok(takeSession(), 'the page took its session');
});
after(async () => {
  await server.close();
  workbench.close();
});

test('uploads with progress, lists what was refused, imports the rest', async () => {
  const file = (path: string, name: string) => new File([readFileSync(path)], name, { type: 'image/png' });
  const items = [
    { file: file(join(photos, 'a.png'), 'a.png'), path: 'trip/a.png' },
    { file: new File([new Uint8Array(60_000)], 'huge.png'), path: 'trip/huge.png' },
    { file: file(join(photos, 'b.png'), 'b.png'), path: '../b.png' },
    { file: file(join(photos, 'b.png'), 'b.png'), path: 'trip/b.png' },
  ];
  const progress: UploadProgress[] = [];
  let importing = 0;
  const result = await uploadAndImport(items, 'images', {}, (p) => progress.push(p), () => importing++);
  assert.equal(result.as, 'images');
  if (result.as !== 'images') return;
  assert.deepEqual(result.report.imported.map((i) => i.fileName).sort(), ['a.png', 'b.png']);
  assert.deepEqual(result.refused.map((r) => r.path), ['trip/huge.png', '../b.png']);
  assert.match(result.refused[0].reason, /over the upload limit of 50000 bytes/);
  assert.match(result.refused[1].reason, /Refused the file name/);
  assert.deepEqual(progress.map((p) => p.done), [0, 1, 2, 3, 4]);
  assert.equal(progress.at(-1)!.bytesDone, progress.at(-1)!.bytesTotal);
  assert.equal(importing, 1);
});

test('nothing uploadable is an error, and nothing is imported', async () => {
  const before = (await workbench.api.images.list({})).length;
  await assert.rejects(uploadAndImport([{ file: new File(['x'], 'x.png'), path: '/abs/x.png' }], 'auto', {}, () => undefined, () => undefined), /No file could be uploaded/);
  assert.equal((await workbench.api.images.list({})).length, before);
});
