import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { Workbench } from '../../electron/services/workbench.ts';
import { startWebServer, type WebServer } from '../../electron/web/server.ts';
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

describe('browser mode server', () => {
  let server: WebServer;
  let workbench: Workbench;
  let cookie: string;
  const staticDir = tempDir();

  before(async () => {
    mkdirSync(join(staticDir, 'assets'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Fieldwork</title>');
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    workbench = new Workbench({ userDataDir: tempDir(), resourcesDir: tempDir() });
    server = await startWebServer({ workbench, staticDir });
  });
  after(async () => {
    await server.close();
    workbench.close();
  });

  test('listens on loopback and refuses requests without the token', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
    const plain = await http(server, '/');
    assert.equal(plain.status, 401);
    const wrong = await http(server, '/?token=' + '0'.repeat(48));
    assert.equal(wrong.status, 401);
    const api = await http(server, '/api/projects/current', { method: 'POST', body: '{"args":[]}' });
    assert.equal(api.status, 401);
  });

  test('the launch URL sets an HttpOnly SameSite=Strict cookie and drops the token from the address', async () => {
    const launch = await http(server, `/?token=${server.token}`);
    assert.equal(launch.status, 303);
    assert.equal(launch.headers.location, '/');
    const setCookie = String(launch.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    cookie = setCookie.split(';')[0];
    const page = await http(server, '/', { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Fieldwork/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval/);
  });

  test('refuses foreign Host headers (DNS rebinding) and foreign origins', async () => {
    const rebinding = await http(server, '/', { headers: { cookie, host: 'attacker.example:80' } });
    assert.equal(rebinding.status, 421);
    const csrf = await http(server, '/api/projects/current', { method: 'POST', headers: { cookie, origin: 'http://attacker.example', 'content-type': 'application/json' }, body: '{"args":[]}' });
    assert.equal(csrf.status, 403);
  });

  test('calls only the methods of the WorkbenchApi', async () => {
    const call = (path: string, args: unknown[]) => http(server, path, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ args }) });
    const none = await call('/api/projects/current', []);
    assert.equal(none.status, 200);
    assert.deepEqual(JSON.parse(none.body), { result: null });
    assert.equal((await call('/api/projects/constructor', [])).status, 404);
    assert.equal((await call('/api/__proto__/toString', [])).status, 404);
    const noProject = await call('/api/images/list', []);
    assert.equal(noProject.status, 400);
    assert.match(JSON.parse(noProject.body).error.message, /No project is open/);
    const bad = await http(server, '/api/projects/current', { method: 'POST', headers: { cookie }, body: '{not json' });
    assert.equal(bad.status, 400);
  });

  test('static files stay inside the renderer build', async () => {
    assert.equal((await http(server, '/assets/app.js', { headers: { cookie } })).status, 200);
    for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await http(server, path, { headers: { cookie } });
      assert.doesNotMatch(res.body, /root:/, path);
      if (res.status === 200) assert.match(res.body, /<title>Fieldwork/, `${path} falls back to the app page`);
    }
  });

  test('serves the API, image bytes and events to the token holder', async () => {
    const events: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, { headers: { cookie, origin: server.origin } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (data) => events.push(JSON.parse(String(data)).event));
    const call = async (path: string, args: unknown[]) => {
      const res = await http(server, path, { method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: server.origin }, body: JSON.stringify({ args }) });
      return { status: res.status, body: JSON.parse(res.body) };
    };
    const created = await call('/api/projects/create', [join(tempDir(), 'p'), 'Web']);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const report = await call('/api/coco/import', [join(FIXTURES, 'roboflow-mini')]);
    assert.equal(report.body.result.images, 9);
    const images = (await call('/api/images/list', [])).body.result;
    const thumb = await http(server, `/files/thumbs/${images[0].id}`, { headers: { cookie } });
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers['content-type'], 'image/jpeg');
    const full = await http(server, `/files/images/${images[0].id}`, { headers: { cookie } });
    assert.equal(full.status, 200);
    assert.equal((await http(server, '/files/images/99999', { headers: { cookie } })).status, 404);
    assert.equal((await http(server, `/files/images/${images[0].id}`)).status, 401);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(events.includes('importProgress'));
    assert.ok(events.includes('projectChanged'));
    ws.close();

    const stranger = new WebSocket(`ws://127.0.0.1:${server.port}/events`);
    const refused = await new Promise<boolean>((resolve) => {
      stranger.once('open', () => resolve(false));
      stranger.once('error', () => resolve(true));
    });
    assert.ok(refused, 'a socket without the cookie is refused');
  });
});
