// The browser mode: the same WorkbenchApi over HTTP + WebSocket, for end-to-end tests and for people
// who annotate from a browser on the same machine.
//
// Security, in the order a request meets it:
// - listens on 127.0.0.1 only, and refuses any Host header but its own (DNS-rebinding);
// - every request needs the per-launch token: `/?token=…` once (exchanged for an HttpOnly, SameSite=Strict
//   cookie and a redirect that drops the token from the address bar), or the `x-fieldwork-token` header;
// - API calls must come from the page's own origin and may only name methods listed in API_METHODS;
// - every response carries a strict Content-Security-Policy; static files never leave renderer/dist.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_EVENTS, API_METHODS, type WorkbenchApi } from '../api.ts';
import { contentType } from '../services/content-types.ts';
import { NotFoundError, toErrorPayload, UserError } from '../services/errors.ts';
import type { Workbench } from '../services/workbench.ts';

export interface WebServerOptions {
  workbench: Workbench;
  /** The built renderer (renderer/dist). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
}

export interface WebServer {
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const COOKIE = 'fieldwork_session';
const HOST = '127.0.0.1';

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const staticDir = resolve(options.staticDir);
  const { workbench } = options;
  let port = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { error: toErrorPayload(err) });
      else res.destroy();
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  const unsubscribers = API_EVENTS.map((event) =>
    workbench.on(event, (payload) => {
      const message = JSON.stringify({ event, payload });
      for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(message);
    }),
  );

  const tokenMatches = (candidate: string | undefined) => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const hostAllowed = (req: IncomingMessage) => req.headers.host === `${HOST}:${port}` || req.headers.host === `localhost:${port}`;
  const originAllowed = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
  };
  const authorised = (req: IncomingMessage) => {
    const header = req.headers['x-fieldwork-token'];
    if (typeof header === 'string' && tokenMatches(header)) return true;
    return tokenMatches(readCookie(req.headers.cookie, COOKIE));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(port));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (!hostAllowed(req)) return sendText(res, 421, 'Unexpected Host header.');
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);

    // The one request allowed without the cookie: the launch URL, which carries the token.
    const offered = url.searchParams.get('token');
    if (offered !== null) {
      if (!tokenMatches(offered)) return sendText(res, 401, 'Wrong token. Open the URL that `npm run web` printed.');
      res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      url.searchParams.delete('token');
      res.writeHead(303, { Location: url.pathname + url.search });
      res.end();
      return;
    }
    if (!authorised(req)) return sendText(res, 401, 'Not authorised. Open the URL that `npm run web` printed (it carries the access token).');

    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return sendText(res, 405, 'API calls use POST.');
      if (!originAllowed(req)) return sendText(res, 403, 'Cross-origin API calls are refused.');
      return handleApi(req, res, url.pathname);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.');
    const media = url.pathname.match(/^\/files\/(images|thumbs)\/(\d+)$/);
    if (media) {
      let file: string;
      try {
        file = workbench.mediaFile(media[1] as 'images' | 'thumbs', Number(media[2]));
      } catch (err) {
        return sendJson(res, err instanceof NotFoundError ? 404 : 409, { error: toErrorPayload(err) });
      }
      return sendFile(res, file, 'private, max-age=3600');
    }
    return serveStatic(res, url.pathname);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const [, , domain, method] = pathname.split('/');
    const table = API_METHODS as Record<string, readonly string[]>;
    if (!Object.hasOwn(table, domain) || !table[domain].includes(method)) return sendJson(res, 404, { error: { name: 'NotFoundError', message: `No API method ${domain}.${method}.` } });
    let args: unknown[];
    try {
      const body = await readBody(req, maxBody);
      const parsed = body.length === 0 ? { args: [] } : JSON.parse(body.toString('utf8'));
      args = Array.isArray(parsed?.args) ? parsed.args : [];
    } catch (err) {
      return sendJson(res, 400, { error: { name: 'UserError', message: `Bad request body: ${(err as Error).message}` } });
    }
    try {
      const service = workbench.api[domain as keyof WorkbenchApi] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const result = await service[method](...args);
      sendJson(res, 200, { result: result ?? null });
    } catch (err) {
      const status = err instanceof UserError ? 400 : err instanceof NotFoundError ? 404 : 500;
      if (status === 500) console.error(`[web] ${domain}.${method} failed:`, err);
      sendJson(res, status, { error: toErrorPayload(err) });
    }
  }

  function serveStatic(res: ServerResponse, pathname: string): void {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return sendText(res, 400, 'Bad path.');
    }
    const file = resolve(staticDir, '.' + (rel === '/' ? '/index.html' : rel));
    const back = relative(staticDir, file);
    if (back.startsWith('..') || isAbsolute(back)) return sendText(res, 404, 'Not found.');
    if (existsSync(file) && statSync(file).isFile()) return sendFile(res, file, rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    // Client-side routes fall back to the app.
    const index = join(staticDir, 'index.html');
    if (!extname(rel) && existsSync(index)) return sendFile(res, index, 'no-cache');
    if (!existsSync(index)) return sendText(res, 503, `The renderer is not built: run \`npm run build:renderer\` (looked in ${staticDir}).`);
    return sendText(res, 404, 'Not found.');
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    if (url.pathname !== '/events' || !hostAllowed(req) || !originAllowed(req) || !authorised(req)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    async close() {
      unsubscribers.forEach((u) => u());
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`request body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(data);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text + '\n');
}

function sendFile(res: ServerResponse, file: string, cacheControl: string): void {
  res.writeHead(200, { 'Content-Type': contentType(file), 'Content-Length': statSync(file).size, 'Cache-Control': cacheControl });
  createReadStream(file).pipe(res);
}
