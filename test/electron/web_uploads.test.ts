// Browser-mode uploads (electron/web/uploads.ts): behind the server's token and origin checks, streamed to a
// staging folder, names confined to it, size limits answered with 413, then imported as a typed path would be.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Workbench } from '../../electron/services/workbench.ts';
import { startWebServer, type WebServer } from '../../electron/web/server.ts';
import { createUploadRoutes, safeUploadPath } from '../../electron/web/uploads.ts';
import { FIXTURES, tempDir, writeImage } from '../helpers/tmp.ts';

interface Reply {
  status: number;
  body: any;
}

function post(server: WebServer, path: string, body: Buffer | string = '', headers: Record<string, string> = { 'x-fieldwork-token': server.token }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let parsed: any;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = { text };
        }
        resolve({ status: res.statusCode!, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every file under a folder, as relative POSIX paths. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

describe('safeUploadPath', () => {
  test('keeps a relative folder structure', () => {
    assert.equal(safeUploadPath('a.jpg'), 'a.jpg');
    assert.equal(safeUploadPath('export/train/_annotations.coco.json'), 'export/train/_annotations.coco.json');
    assert.equal(safeUploadPath('..hidden/x..y.png'), '..hidden/x..y.png', 'dots inside a name are fine');
  });
  test('refuses traversal, absolute paths, NUL and backslashes, saying why', () => {
    for (const [name, why] of [
      ['../x.jpg', '".."'],
      ['a/../../x.jpg', '".."'],
      ['/etc/passwd', 'absolute'],
      ['C:/Windows/x.jpg', 'absolute'],
      ['a\u0000.jpg', 'NUL'],
      ['..\\x.jpg', 'backslash'],
      ['a//b.jpg', 'empty'],
      ['./a.jpg', '"."'],
      ['', 'needs a name'],
    ]) {
      assert.throws(() => safeUploadPath(name), (err: Error) => err.name === 'UserError' && err.message.includes(why), name);
    }
  });
});

describe('upload routes', () => {
  let server: WebServer;
  let workbench: Workbench;
  const stagingRoot = join(tempDir(), 'uploads');
  const photos = tempDir();
  const begin = async () => {
    const reply = await post(server, '/x/uploads/begin', JSON.stringify({}));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.result.batch as string;
  };
  const upload = (batch: string, path: string, bytes: Buffer | string) => post(server, `/x/uploads/${batch}/file?path=${encodeURIComponent(path)}`, bytes);

  before(async () => {
    workbench = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
    await workbench.api.projects.create(join(tempDir(), 'p'), 'p');
    server = await startWebServer({
      workbench,
      staticDir: tempDir(),
      allow: [],
      routes: { uploads: createUploadRoutes({ stagingRoot, maxFileBytes: 64 * 1024 * 1024, maxBatchBytes: 96 * 1024 * 1024 }) },
    });
    await writeImage(join(photos, 'a.png'), 40, 30, 1);
    await writeImage(join(photos, 'b.png'), 40, 30, 2);
    await writeImage(join(photos, 'c.png'), 40, 30, 3);
  });
  after(async () => {
    await server.close();
    workbench.close();
  });

  test('need the token and this origin, like /api', async () => {
    assert.equal((await post(server, '/x/uploads/begin', '{}', {})).status, 401);
    assert.equal((await post(server, '/x/uploads/begin', '{}', { 'x-fieldwork-token': 'wrong'.padEnd(server.token.length, '0') })).status, 401);
    assert.equal((await post(server, '/x/uploads/begin', '{}', { 'x-fieldwork-token': server.token, origin: 'http://evil.example' })).status, 403);
    assert.deepEqual(readdirSync(stagingRoot), [], 'no batch was begun');
  });

  test('a traversal name is refused as data and writes nothing outside the batch', async () => {
    const batch = await begin();
    for (const name of ['../escape.png', '../../escape.png', '/tmp/escape.png', 'x/../../escape.png', 'a\u0000b.png']) {
      const reply = await upload(batch, name, 'bytes');
      assert.equal(reply.status, 400, name);
      assert.equal(reply.body.error.kind, 'user');
      assert.match(reply.body.error.message, /Refused the file name/);
      assert.equal(reply.body.error.details.path, name);
    }
    assert.deepEqual(filesUnder(stagingRoot), [], 'nothing staged, nothing beside the staging folder');
    assert.ok(!existsSync(join(stagingRoot, '..', 'escape.png')));
    assert.equal((await post(server, `/x/uploads/${batch}/cancel`)).status, 200);
    assert.deepEqual(readdirSync(stagingRoot), [], 'cancel removes the batch folder');
  });

  test('an unknown batch is 404 as data', async () => {
    const reply = await upload('0'.repeat(32), 'a.png', 'x');
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.kind, 'user');
    assert.match(reply.body.error.message, /No upload batch/);
  });

  test('a file over the per-file limit, and a batch over the per-batch limit, answer 413 naming the limit', async () => {
    const small = await startWebServer({
      workbench,
      staticDir: tempDir(),
      allow: [],
      routes: { uploads: createUploadRoutes({ stagingRoot: join(tempDir(), 'up'), maxFileBytes: 1000, maxBatchBytes: 1500 }) },
    });
    try {
      const batch = (await post(small, '/x/uploads/begin', '{}')).body.result.batch as string;
      const tooBig = await post(small, `/x/uploads/${batch}/file?path=big.png`, Buffer.alloc(2000));
      assert.equal(tooBig.status, 413);
      assert.equal(tooBig.body.error.kind, 'user');
      assert.match(tooBig.body.error.message, /over the upload limit of 1000 bytes/);
      assert.deepEqual(tooBig.body.error.details, { limitBytes: 1000, limit: 'file', path: 'big.png' });
      assert.equal((await post(small, `/x/uploads/${batch}/file?path=one.png`, Buffer.alloc(900))).status, 200);
      const overBatch = await post(small, `/x/uploads/${batch}/file?path=two.png`, Buffer.alloc(900));
      assert.equal(overBatch.status, 413);
      assert.equal(overBatch.body.error.details.limit, 'batch');
      assert.equal(overBatch.body.error.details.limitBytes, 1500);
      const declared = await post(small, '/x/uploads/begin', JSON.stringify({ files: 3, bytes: 10_000 }));
      assert.equal(declared.status, 413, 'a batch declared over the limit is refused before any byte');
      assert.match(declared.body.error.message, /1500 bytes/);
    } finally {
      await small.close();
    }
  });

  test('a body without Content-Length over the limit is cut off at the limit, and its partial file removed', async () => {
    const root = join(tempDir(), 'up');
    const small = await startWebServer({ workbench, staticDir: tempDir(), allow: [], routes: { uploads: createUploadRoutes({ stagingRoot: root, maxFileBytes: 64 * 1024 }) } });
    try {
      const batch = (await post(small, '/x/uploads/begin', '{}')).body.result.batch as string;
      const reply = await new Promise<Reply>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: small.port, path: `/x/uploads/${batch}/file?path=stream.bin`, method: 'POST', headers: { 'x-fieldwork-token': small.token, 'transfer-encoding': 'chunked' } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
        req.on('error', () => undefined); // the server closes the connection after its answer
        const chunk = Buffer.alloc(16 * 1024);
        let sent = 0;
        const pump = () => {
          while (sent < 1024 * 1024 && !req.destroyed) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
        setTimeout(() => reject(new Error('no answer')), 60_000).unref();
      });
      assert.equal(reply.status, 413);
      assert.equal(reply.body.error.details.limitBytes, 64 * 1024);
      assert.deepEqual(filesUnder(root), [], 'the partial file is gone');
    } finally {
      await small.close();
    }
  });

  // Streaming shown by what a buffering server could not do: write part of the file before the body ends
  // (a heap measurement in this process would mix the client's buffers with the server's).
  test('the body is streamed to disk: the staged file grows while the request is still open', async () => {
    const batch = await begin();
    const total = 32 * 1024 * 1024;
    const staged = join(stagingRoot, batch, 'big.bin');
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: `/x/uploads/${batch}/file?path=big.bin`, method: 'POST', headers: { 'x-fieldwork-token': server.token, 'content-length': String(total) } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(256 * 1024, 7);
      let sent = 0;
      const send = (until: number, then: () => void) => {
        while (sent < until) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', () => send(until, then));
        }
        then();
      };
      // Half the body, then wait (polling, no fixed sleep) until the server has written part of it to disk.
      send(total / 2, () => {
        const started = Date.now();
        const poll = () => {
          const size = existsSync(staged) ? statSync(staged).size : 0;
          if (size >= 4 * 1024 * 1024) return send(total, () => req.end());
          if (Date.now() - started > 60_000) return reject(new Error(`staged file only ${size} bytes while the request is open`));
          setTimeout(poll, 20);
        };
        poll();
      });
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body.result, { path: 'big.bin', bytes: total });
    assert.equal(statSync(staged).size, total);
    assert.equal((await post(server, `/x/uploads/${batch}/cancel`)).status, 200);
  });

  test('a batch does not import while a file is still arriving; a file named like a folder is refused', async () => {
    const batch = await begin();
    const staged = join(stagingRoot, batch, 'slow.bin');
    let finish!: () => void;
    const replied = new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: `/x/uploads/${batch}/file?path=slow.bin`, method: 'POST', headers: { 'x-fieldwork-token': server.token, 'content-length': '2048' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024));
      finish = () => req.end(Buffer.alloc(1024));
    });
    const started = Date.now();
    while (!(existsSync(staged) && statSync(staged).size > 0)) {
      assert.ok(Date.now() - started < 60_000, 'the first half reached the disk');
      await new Promise((r) => setTimeout(r, 20));
    }
    const early = await post(server, `/x/uploads/${batch}/import`, '{}');
    assert.equal(early.status, 400);
    assert.match(early.body.error.message, /1 still arriving/);
    finish();
    assert.equal((await replied).status, 200);
    const clash = await upload(batch, 'slow.bin/inner.png', 'x');
    assert.equal(clash.status, 400);
    assert.match(clash.body.error.message, /name of one of its folders/);
    assert.equal((await post(server, `/x/uploads/${batch}/cancel`)).status, 200);
  });

  test('uploaded images import like a folder: the good ones import, the bad one is reported, staging removed', async () => {
    const batch = await begin();
    assert.equal((await upload(batch, 'holiday/a.png', readFileSync(join(photos, 'a.png')))).status, 200);
    assert.equal((await upload(batch, 'holiday/b.png', readFileSync(join(photos, 'b.png')))).status, 200);
    assert.equal((await upload(batch, 'holiday/broken.jpg', 'this is not a JPEG')).status, 200);
    const twice = await upload(batch, 'holiday/a.png', 'again');
    assert.equal(twice.status, 400, 'a name given twice is refused, not overwritten');
    const reply = await post(server, `/x/uploads/${batch}/import`, JSON.stringify({ as: 'auto' }));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const { as, report } = reply.body.result;
    assert.equal(as, 'images');
    assert.deepEqual(report.imported.map((i: { fileName: string }) => i.fileName).sort(), ['a.png', 'b.png']);
    assert.equal(report.failed.length, 1);
    assert.equal(report.failed[0].path, 'holiday/broken.jpg', 'reported by the name the user uploaded');
    assert.deepEqual(readdirSync(stagingRoot), [], 'the staging folder is removed');
    assert.equal((await workbench.api.images.list({})).length, 2);
    assert.equal((await post(server, `/x/uploads/${batch}/import`, '{}')).status, 404, 'a batch imports once');
  });

  test('photos with a stray notes.txt are still images under "auto"', async () => {
    const batch = await begin();
    assert.equal((await upload(batch, 'c.png', readFileSync(join(photos, 'c.png')))).status, 200);
    assert.equal((await upload(batch, 'notes.txt', 'taken on Tuesday')).status, 200);
    const reply = await post(server, `/x/uploads/${batch}/import`, JSON.stringify({ as: 'auto' }));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.result.as, 'images');
    assert.deepEqual(reply.body.result.report.imported.map((i: { fileName: string }) => i.fileName), ['c.png']);
  });

  test('a dropped COCO export folder imports exactly as the same folder by path', async () => {
    const mini = join(FIXTURES, 'roboflow-mini');
    const batch = await begin();
    for (const rel of filesUnder(mini)) {
      const reply = await upload(batch, `roboflow-mini/${rel}`, readFileSync(join(mini, rel)));
      assert.equal(reply.status, 200, `${rel}: ${JSON.stringify(reply.body)}`);
    }
    const reply = await post(server, `/x/uploads/${batch}/import`, JSON.stringify({ as: 'auto' }));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.result.as, 'dataset');
    const uploaded = reply.body.result.report;

    const byPath = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
    try {
      await byPath.api.projects.create(join(tempDir(), 'q'), 'q');
      const expected = await byPath.api.coco.importDataset(mini, {});
      assert.ok(expected.images > 0);
      for (const key of ['images', 'annotations', 'perClass', 'splits', 'format'] as const) assert.deepEqual(uploaded[key], expected[key], key);
      assert.equal(uploaded.duplicates.length, expected.duplicates.length);
    } finally {
      byPath.close();
    }
    assert.deepEqual(readdirSync(stagingRoot), []);
    assert.ok(!JSON.stringify(uploaded).includes(stagingRoot), 'no staging path in the report');
  });

  test('an empty batch and a bad "as" are refused as data', async () => {
    const batch = await begin();
    const bad = await post(server, `/x/uploads/${batch}/import`, JSON.stringify({ as: 'everything' }));
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /"images", "dataset" or "auto"/);
    const empty = await post(server, `/x/uploads/${batch}/import`, '{}');
    assert.equal(empty.status, 400);
    assert.match(empty.body.error.message, /Nothing was uploaded/);
    assert.deepEqual(readdirSync(stagingRoot), []);
  });
});
