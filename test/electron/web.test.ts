import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { Workbench } from '../../electron/services/workbench.ts';
import { startWebServer, type WebServer } from '../../electron/web/server.ts';
import { createHttpClient } from '../../renderer/src/lib/api/http.ts';
import { ApiError } from '../../renderer/src/lib/api/errors.ts';
import { FIXTURES, tempDir } from '../helpers/tmp.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(server: WebServer, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A refusal before the dispatch: the API's error data, kind `forbidden`, naming the check, as JSON. */
function assertRefusal(reply: Reply, check: 'host' | 'origin' | 'token', message: RegExp): void {
  assert.match(String(reply.headers['content-type']), /^application\/json/);
  const { error } = JSON.parse(reply.body) as { error: { kind: string; message: string; details: unknown } };
  assert.equal(error.kind, 'forbidden');
  assert.match(error.message, message);
  assert.deepEqual(error.details, { check });
}

describe('browser mode server', () => {
  let server: WebServer;
  let workbench: Workbench;
  const staticDir = tempDir();
  /** The approved folder for this suite: only paths in here (and the fixtures) may be used. */
  const approved = tempDir();
  const outside = tempDir();
  const auth = () => ({ 'x-fieldwork-token': server.token });
  const call = async (path: string, args: unknown[], headers: Record<string, string> = {}) => {
    const res = await http(server, path, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json', ...headers }, body: JSON.stringify({ args }) });
    let body: any;
    try {
      body = JSON.parse(res.body);
    } catch {
      body = { text: res.body };
    }
    return { status: res.status, body, headers: res.headers };
  };

  before(async () => {
    mkdirSync(join(staticDir, 'assets'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Fieldwork</title>');
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    workbench = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
    server = await startWebServer({ workbench, staticDir, allow: [approved, FIXTURES] });
  });
  after(async () => {
    await server.close();
    workbench.close();
  });

  test('the launch URL carries the token and the media key in its fragment; no cookie is ever set', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{48}&media=[0-9a-f]{48}$/);
    assert.notEqual(server.token, server.mediaKey);
    const page = await http(server, '/');
    assert.equal(page.status, 200, 'the static app page is public code');
    assert.equal(page.headers['set-cookie'], undefined);
    assert.match(page.body, /<title>Fieldwork/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    // The old query-string token is no longer exchanged for anything.
    const old = await http(server, `/?token=${server.token}`);
    assert.equal(old.status, 400);
    assert.equal(old.headers['set-cookie'], undefined);
    assert.equal(old.headers.location, undefined);
  });

  test('API calls without the token header are refused, also with the token as a cookie or in the query', async () => {
    const bare = await http(server, '/api/projects/current', { method: 'POST', body: '{"args":[]}' });
    assert.equal(bare.status, 401);
    const wrong = await http(server, '/api/projects/current', { method: 'POST', headers: { 'x-fieldwork-token': '0'.repeat(48) }, body: '{"args":[]}' });
    assert.equal(wrong.status, 401);
    const cookie = await http(server, '/api/projects/current', { method: 'POST', headers: { cookie: `fieldwork_session=${server.token}` }, body: '{"args":[]}' });
    assert.equal(cookie.status, 401);
    const media = await http(server, '/api/projects/current', { method: 'POST', headers: { 'x-fieldwork-token': server.mediaKey }, body: '{"args":[]}' });
    assert.equal(media.status, 401, 'the read-only media key does not open the API');
    for (const refused of [bare, wrong, cookie, media]) assertRefusal(refused, 'token', /^Not authorised: API calls need the x-fieldwork-token header/);
    const ok = await call('/api/projects/current', []);
    assert.equal(ok.status, 200);
  });

  test('refuses foreign Host headers (DNS rebinding), foreign origins and cross-site fetches', async () => {
    const rebinding = await http(server, '/', { headers: { host: 'attacker.example:80' } });
    assert.equal(rebinding.status, 421);
    const csrf = await call('/api/projects/current', [], { origin: 'http://attacker.example' });
    assert.equal(csrf.status, 403);
    const otherPort = await call('/api/projects/current', [], { origin: `http://127.0.0.1:${server.port + 1}` });
    assert.equal(otherPort.status, 403);
    const sameSite = await call('/api/projects/current', [], { 'sec-fetch-site': 'same-site' });
    assert.equal(sameSite.status, 403, 'another port on 127.0.0.1 is "same-site", not same-origin');
    assertRefusal(rebinding, 'host', /^Unexpected Host header\.$/);
    const apiRebinding = await call('/api/projects/current', [], { host: `evil.example:${server.port}` });
    assert.equal(apiRebinding.status, 421);
    assert.deepEqual(apiRebinding.body, { error: { kind: 'forbidden', message: 'Unexpected Host header.', details: { check: 'host' } } });
    for (const refused of [csrf, otherPort, sameSite]) assert.deepEqual(refused.body, { error: { kind: 'forbidden', message: 'Cross-origin API calls are refused.', details: { check: 'origin' } } });
  });

  test('the renderer\'s HTTP client shows an early refusal like any other API error: its kind and message', async () => {
    const refused = createHttpClient(server.origin, { token: '0'.repeat(48), media: server.mediaKey });
    await assert.rejects(refused.projects.current(), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.kind, 'forbidden');
      assert.match(err.message, /^Not authorised: API calls need the x-fieldwork-token header/);
      assert.deepEqual(err.details, { check: 'token' });
      return true;
    });
    const allowed = createHttpClient(server.origin, { token: server.token, media: server.mediaKey });
    await allowed.projects.current(); // the same client with the right token is let through
  });

  test('no redirect leaves the origin', async () => {
    for (const path of [`/.//evil.example/?token=${server.token}`, '//evil.example/', '/.//evil.example/', `//evil.example/?token=${server.token}`]) {
      const res = await http(server, path);
      const location = res.headers.location;
      assert.ok(location === undefined || (String(location).startsWith('/') && !String(location).startsWith('//')), `${path} → ${location}`);
      assert.ok(res.status < 300 || res.status >= 400, `${path} answers ${res.status}, not a redirect`);
    }
  });

  test('calls only the methods of the WorkbenchApi', async () => {
    const none = await call('/api/projects/current', []);
    assert.equal(none.status, 200);
    assert.deepEqual(none.body, { result: null });
    assert.equal((await call('/api/projects/constructor', [])).status, 404);
    assert.equal((await call('/api/__proto__/toString', [])).status, 404);
    const noProject = await call('/api/images/list', []);
    assert.equal(noProject.status, 400);
    assert.match(noProject.body.error.message, /No project is open/);
    const bad = await http(server, '/api/projects/current', { method: 'POST', headers: auth(), body: '{not json' });
    assert.equal(bad.status, 400);
    assert.equal((await http(server, '/x/uploads/file', { method: 'POST', headers: auth() })).status, 404, 'no route module registered');
  });

  test('a request body over the limit is refused', async () => {
    const big = JSON.stringify({ args: ['x'.repeat(17 * 1024 * 1024)] });
    const res = await http(server, '/api/projects/current', { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: big }).catch((err: Error) => ({ status: 0, body: err.message, headers: {} }));
    assert.ok(res.status === 400 || res.status === 0, `status ${res.status}`);
  });

  test('static files stay inside the renderer build', async () => {
    assert.equal((await http(server, '/assets/app.js')).status, 200);
    for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await http(server, path);
      assert.doesNotMatch(res.body, /root:/, path);
      if (res.status === 200) assert.match(res.body, /<title>Fieldwork/, `${path} falls back to the app page`);
    }
  });

  test('paths outside the approved folders are refused for create, open, import and export', async () => {
    const stranger = join(outside, 'p');
    const refusedCreate = await call('/api/projects/create', [stranger, 'Nope']);
    assert.equal(refusedCreate.status, 400);
    assert.match(refusedCreate.body.error.message, /outside the folders Fieldwork may use/);
    assert.ok(!existsSync(stranger), 'nothing was created');
    // A project that exists outside (made directly with the services) cannot be opened either.
    const other = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
    await other.api.projects.create(stranger, 'Elsewhere');
    other.close();
    assert.equal((await call('/api/projects/open', [stranger])).status, 400);
    // A symlink inside the approved folder that points out of it does not help.
    symlinkSync(stranger, join(approved, 'link-out'));
    assert.equal((await call('/api/projects/open', [join(approved, 'link-out')])).status, 400);

    const created = await call('/api/projects/create', [join(approved, 'p'), 'Web']);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    writeFileSync(join(outside, 'a.png'), 'not even an image');
    const refusedImport = await call('/api/images/import', [[join(outside, 'a.png')]]);
    assert.equal(refusedImport.status, 400);
    assert.match(refusedImport.body.error.message, /outside/);
    assert.equal((await call('/api/coco/import', [join(outside, 'coco.json')])).status, 400);
    assert.equal((await call('/api/coco/import', ['/etc/passwd'])).status, 400);
    const bashrc = join(outside, '.bashrc');
    writeFileSync(bashrc, 'echo hello\n');
    const refusedExport = await call('/api/coco/export', [bashrc]);
    assert.equal(refusedExport.status, 400);
    assert.equal(readFileSync(bashrc, 'utf8'), 'echo hello\n');
    assert.equal((await call('/api/coco/export', [join(approved, 'x.json'), { imagesDir: join(outside, 'imgs') }])).status, 400);
    assert.ok(!existsSync(join(outside, 'imgs')));
    // Other formats: detect, import and export take paths too; an export folder must be new or empty.
    assert.equal((await call('/api/coco/detect', [outside])).status, 400);
    assert.equal((await call('/api/coco/importDataset', [outside])).status, 400);
    assert.equal((await call('/api/coco/exportDataset', [join(outside, 'yolo'), { format: 'yolo' }])).status, 400);
    assert.ok(!existsSync(join(outside, 'yolo')));
    mkdirSync(join(approved, 'yolo-full'));
    writeFileSync(join(approved, 'yolo-full', 'data.yaml'), 'mine: true\n');
    const refusedFolder = await call('/api/coco/exportDataset', [join(approved, 'yolo-full'), { format: 'yolo' }]);
    assert.equal(refusedFolder.status, 400);
    assert.match(refusedFolder.body.error.message, /not an empty folder/);
    assert.equal(readFileSync(join(approved, 'yolo-full', 'data.yaml'), 'utf8'), 'mine: true\n');
    assert.equal((await call('/api/coco/exportDataset', [join(approved, 'yolo-out'), { format: 'yolo' }])).status, 200);
    // Scale-out: export-run may not create its folder outside, import-run may not read from outside.
    const refusedRun = await call('/api/interop/exportRun', [{ engine: 'torchvision', outDir: join(outside, 'run-export') }]);
    assert.equal(refusedRun.status, 400);
    assert.match(refusedRun.body.error.message, /Export run: .* outside the folders/);
    assert.ok(!existsSync(join(outside, 'run-export')));
    const refusedImportRun = await call('/api/interop/importRun', [join(outside, 'run-export')]);
    assert.equal(refusedImportRun.status, 400);
    assert.match(refusedImportRun.body.error.message, /Import run: .* outside the folders/);
  });

  test('an export never overwrites a file that is not an earlier export', async () => {
    const notes = join(approved, 'notes.json');
    writeFileSync(notes, '{"mine": true}');
    const refused = await call('/api/coco/export', [notes]);
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /not a Fieldwork export/);
    assert.equal(readFileSync(notes, 'utf8'), '{"mine": true}');
    const script = join(approved, 'run.sh');
    writeFileSync(script, 'echo hi\n');
    assert.equal((await call('/api/coco/export', [script])).status, 400, 'only .json files are written');
    assert.equal(readFileSync(script, 'utf8'), 'echo hi\n');
    const fresh = join(approved, 'export.json');
    assert.equal((await call('/api/coco/export', [fresh])).status, 200);
    const again = await call('/api/coco/export', [fresh]);
    assert.equal(again.status, 200, `an earlier export may be replaced: ${JSON.stringify(again.body)}`);
    const full = join(approved, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'keep');
    assert.equal((await call('/api/coco/export', [join(approved, 'e2.json'), { imagesDir: full }])).status, 400, 'a non-empty images folder is refused');
    assert.equal(readFileSync(join(full, 'keep.txt'), 'utf8'), 'keep');
  });

  test('serves the API, image bytes and events to the token holder', async () => {
    const events: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, ['fieldwork', `fieldwork-token.${server.token}`], { headers: { origin: server.origin } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, 'fieldwork', 'the server answers with the plain protocol name, never echoing the token');
    ws.on('message', (data) => events.push(JSON.parse(String(data)).event));
    const created = await call('/api/projects/create', [join(approved, 'media'), 'Web']);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const report = await call('/api/coco/import', [join(FIXTURES, 'roboflow-mini')]);
    assert.equal(report.body.result.images, 9);
    const images = (await call('/api/images/list', [])).body.result;
    const m = server.mediaKey;
    const thumb = await http(server, `/files/${m}/thumbs/${images[0].id}`);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers['content-type'], 'image/jpeg');
    assert.equal(thumb.headers['cross-origin-resource-policy'], 'same-origin');
    const full = await http(server, `/files/${m}/images/${images[0].id}`);
    assert.equal(full.status, 200);
    assert.equal((await http(server, `/files/${m}/images/99999`)).status, 404);
    assert.equal((await http(server, `/files/images/${images[0].id}`)).status, 401);
    assert.equal((await http(server, `/files/${server.token}/images/${images[0].id}`)).status, 401, 'the API token is not the media key');
    const crossSite = await http(server, `/files/${m}/images/${images[0].id}`, { headers: { 'sec-fetch-site': 'same-site' } });
    assert.equal(crossSite.status, 403);
    assertRefusal(crossSite, 'origin', /^Cross-origin media reads are refused\.$/);
    assertRefusal(await http(server, `/files/${server.token}/images/${images[0].id}`), 'token', /^Not authorised\.$/);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(events.includes('importProgress'));
    assert.ok(events.includes('projectChanged'));
    ws.close();

    for (const [what, socket] of [
      ['no token', new WebSocket(`ws://127.0.0.1:${server.port}/events`)],
      ['a cookie', new WebSocket(`ws://127.0.0.1:${server.port}/events`, { headers: { cookie: `fieldwork_session=${server.token}` } })],
      ['a foreign origin', new WebSocket(`ws://127.0.0.1:${server.port}/events`, ['fieldwork', `fieldwork-token.${server.token}`], { headers: { origin: 'http://127.0.0.1:1' } })],
    ] as const) {
      const refused = await new Promise<boolean>((resolve) => {
        socket.once('open', () => resolve(false));
        socket.once('error', () => resolve(true));
      });
      assert.ok(refused, `a socket with ${what} is refused`);
    }
  });

  test('the event socket closes on a client message over 1 KiB', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, ['fieldwork', `fieldwork-token.${server.token}`]);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const code = await new Promise<number>((resolve) => {
      ws.once('close', (c) => resolve(c));
      ws.send('x'.repeat(4096));
    });
    assert.equal(code, 1009, 'message too big');
  });

  test('a route module (e.g. uploads) plugs in behind the same checks and can approve its folder', async () => {
    const uploads = tempDir();
    let called = 0;
    const withRoute = await startWebServer({
      workbench: new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() }),
      staticDir,
      allow: [],
      routes: {
        uploads: async (_req, res, auth) => {
          called++;
          auth.guard.approve(uploads);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ dir: uploads }));
        },
      },
    });
    try {
      const post = (headers: Record<string, string>) => http(withRoute, '/x/uploads/file', { method: 'POST', headers, body: '' });
      assert.equal((await post({})).status, 401);
      assert.equal((await post({ 'x-fieldwork-token': withRoute.token, origin: 'http://evil.example' })).status, 403);
      assert.equal(called, 0);
      assert.equal((await http(withRoute, '/x/uploads/file')).status, 405, 'route modules take POST only');
      assert.equal((await post({ 'x-fieldwork-token': withRoute.token })).status, 200);
      assert.equal(called, 1);
      assert.ok(withRoute.guard.allows(join(uploads, 'a.png')), 'the upload folder is approved');
      assert.ok(!withRoute.guard.allows(join(outside, 'a.png')));
    } finally {
      await withRoute.close();
    }
  });

  test('a symlinked image, a FIFO stand-in and an over-size file are not served', async () => {
    const images = (await call('/api/images/list', [])).body.result as { id: number }[];
    const [a, b, c] = images;
    const secret = join(outside, 'id_rsa');
    writeFileSync(secret, 'PRIVATE KEY');
    const fileA = workbench.mediaFile('images', a.id);
    rmSync(fileA);
    symlinkSync(secret, fileA);
    const linked = await http(server, `/files/${server.mediaKey}/images/${a.id}`);
    assert.equal(linked.status, 409);
    assert.doesNotMatch(linked.body, /PRIVATE KEY/);
    assert.match(JSON.parse(linked.body).error.message, /out of the project/);
    const fileB = workbench.mediaFile('images', b.id);
    rmSync(fileB);
    mkdirSync(fileB);
    assert.equal((await http(server, `/files/${server.mediaKey}/images/${b.id}`)).status, 409, 'a folder is not a regular file');
    rmSync(fileB, { recursive: true });
    symlinkSync('/dev/zero', fileB);
    assert.equal((await http(server, `/files/${server.mediaKey}/images/${b.id}`)).status, 409, '/dev/zero is refused');
    const small = await startWebServer({ workbench, staticDir, allow: [approved], maxMediaBytes: 10 });
    try {
      const res = await http(small, `/files/${small.mediaKey}/images/${c.id}`);
      assert.equal(res.status, 409);
      assert.match(JSON.parse(res.body).error.message, /limit/);
    } finally {
      await small.close();
    }
  });
});
