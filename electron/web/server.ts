// The browser mode: the same WorkbenchApi over HTTP + WebSocket, for end-to-end tests and for people
// who annotate from a browser on the same machine.
//
// Security, in the order a request meets it (README, "Security"):
// - listens on 127.0.0.1 only, and refuses any Host header but its own (DNS-rebinding);
// - no cookies at all: cookies ignore the port, so any other server on 127.0.0.1 would receive them. The
//   launch URL carries two per-launch secrets in its fragment (`/#token=…&media=…`), which browsers never
//   send to any server; the page moves them to sessionStorage (this tab only) and drops them from the address;
// - every API call carries the token in the `x-fieldwork-token` header, the event WebSocket in its
//   sub-protocol list (browsers cannot set headers there); a custom header cannot be sent cross-origin without
//   a CORS preflight, which this server never grants. Origin / Sec-Fetch-Site, when a browser sends them,
//   must be this origin;
// - image bytes (`<img>` cannot send headers) are read under `/files/<media key>/…`: a second secret that can
//   only read the open project's images, served with Cross-Origin-Resource-Policy: same-origin;
// - API calls may only name methods listed in API_METHODS, and their paths are confined to approved folders
//   (services/path-guard.ts) — both checked by services/dispatch.ts, the dispatch IPC uses too; errors come
//   back as `{error: {kind, message, details}}` with a status that fits the kind (the Host, Origin and token
//   refusals too: kind `forbidden`, `details.check`, status 421 / 403 / 401); media files must be
//   regular files inside the project, under a size cap;
// - the static renderer (public code, no data) is served without a secret; every response carries a strict
//   Content-Security-Policy; static files never leave renderer/dist; no redirects.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_EVENTS, type ApiErrorPayload, type ApiReply } from '../api.ts';
import { contentType } from '../services/content-types.ts';
import { createApiDispatcher, lookupApiMethod, unknownMethod } from '../services/dispatch.ts';
import { httpStatusFor, RefusedRequestError, toErrorPayload, UserError } from '../services/errors.ts';
import { DEFAULT_MAX_MEDIA_BYTES, openMediaFile } from '../services/media-file.ts';
import { PathGuard } from '../services/path-guard.ts';
import type { Workbench } from '../services/workbench.ts';
import { AUTH_HEADER, WS_PROTOCOL, WS_TOKEN_PREFIX, type RouteModule } from './auth.ts';

export interface WebServerOptions {
  workbench: Workbench;
  /** The built renderer (renderer/dist). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** Largest request body accepted, in bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /** Folders the API may read and write (see services/path-guard.ts); nothing else is accepted. */
  allow: string[];
  /** Largest media file served, in bytes (default 512 MiB). */
  maxMediaBytes?: number;
  /**
   * Extra route modules (e.g. uploads): called for requests under `/x/<name>/…` that already passed the
   * Host, Origin and token checks; they get the approved-folder guard to register what they write.
   */
  routes?: Record<string, RouteModule>;
}

export interface WebServer {
  /** The launch URL: origin + `/#token=…&media=…`. */
  url: string;
  origin: string;
  token: string;
  /** The read-only media key (image bytes under /files/<key>/…). */
  mediaKey: string;
  port: number;
  /** The approved folders (add one with guard.approve). */
  guard: PathGuard;
  close(): Promise<void>;
}

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
  const mediaKey = randomBytes(24).toString('hex');
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxMedia = options.maxMediaBytes ?? DEFAULT_MAX_MEDIA_BYTES;
  const staticDir = resolve(options.staticDir);
  const { workbench } = options;
  const guard = new PathGuard(options.allow, 'Start the browser mode with `npm run web -- --allow <folder>` to approve another folder.');
  const dispatch = createApiDispatcher(workbench.api, { guard, label: 'web' });
  const routes = options.routes ?? {};
  let port = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendError(res, toErrorPayload(err));
      else res.destroy();
    });
  });
  // The socket only sends events; a client message is never read, so any frame over 1 KiB closes it.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const sockets = new Set<WebSocket>();
  const unsubscribers = API_EVENTS.map((event) =>
    workbench.on(event, (payload) => {
      const message = JSON.stringify({ event, payload });
      for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(message);
    }),
  );

  const hostAllowed = (req: IncomingMessage) => req.headers.host === `${HOST}:${port}` || req.headers.host === `localhost:${port}`;
  /** Browser-supplied provenance: absent (curl, tests) or this very origin. */
  const originAllowed = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${HOST}:${port}` && origin !== `http://localhost:${port}`) return false;
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  };
  const headerAuthorised = (req: IncomingMessage) => {
    const header = req.headers[AUTH_HEADER];
    return typeof header === 'string' && secretMatches(header, token);
  };
  const socketAuthorised = (req: IncomingMessage) => {
    if (headerAuthorised(req)) return true;
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    return offered.includes(WS_PROTOCOL) && offered.some((p) => p.startsWith(WS_TOKEN_PREFIX) && secretMatches(p.slice(WS_TOKEN_PREFIX.length), token));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(port));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (!hostAllowed(req)) return refuse(res, new RefusedRequestError('host', 'Unexpected Host header.'));
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    // Old launch URLs (`/?token=…`): the token belongs in the fragment now, which no server ever receives.
    if (url.searchParams.has('token')) return sendText(res, 400, 'This server takes its token in the URL fragment (#token=…). Open the URL that `npm run web` printed.');

    if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/x/')) {
      if (req.method !== 'POST') return sendText(res, 405, 'API calls use POST.');
      if (!originAllowed(req)) return refuse(res, new RefusedRequestError('origin', 'Cross-origin API calls are refused.'));
      if (!headerAuthorised(req)) return refuse(res, new RefusedRequestError('token', `Not authorised: API calls need the ${AUTH_HEADER} header. Open the URL that \`npm run web\` printed (it carries the access token).`));
      if (url.pathname.startsWith('/api/')) return handleApi(req, res, url.pathname);
      const name = url.pathname.split('/')[2];
      if (!Object.hasOwn(routes, name)) return sendText(res, 404, 'Not found.');
      return routes[name](req, res, { guard, maxBodyBytes: maxBody, workbench });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.');
    if (url.pathname.startsWith('/files/')) {
      const media = url.pathname.match(/^\/files\/([0-9a-f]+)\/(images|thumbs)\/([1-9]\d{0,15})$/);
      if (!media || !secretMatches(media[1], mediaKey)) return refuse(res, new RefusedRequestError('token', 'Not authorised.'));
      if (!originAllowed(req)) return refuse(res, new RefusedRequestError('origin', 'Cross-origin media reads are refused.'));
      let file: { path: string; size: number };
      try {
        const kind = media[2] as 'images' | 'thumbs';
        file = openMediaFile(workbench.project.dir, workbench.mediaFile(kind, Number(media[3])), maxMedia);
      } catch (err) {
        const error = toErrorPayload(err);
        return sendJson(res, error.kind === 'not_found' ? 404 : 409, { error });
      }
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      return sendFile(res, file.path, 'private, max-age=3600', file.size);
    }
    return serveStatic(res, url.pathname);
  }

  /** `/api/<domain>/<method>` → the shared dispatch; the reply as `{result}` or `{error: {kind, message, details}}`. */
  async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const send = (reply: ApiReply) => (reply.ok ? sendJson(res, 200, { result: reply.value }) : sendError(res, reply.error));
    // Exactly `/api/<domain>/<method>`: a dot inside a segment must not spell a name another way.
    const rest = pathname.slice('/api/'.length);
    const parts = rest.split('/');
    if (parts.length !== 2 || rest.includes('.')) return send(unknownMethod(rest));
    const name = parts.join('.');
    // An unknown method is refused before its body is read, with the reply IPC gives it.
    if (!lookupApiMethod(name)) return send(await dispatch(name, []));
    let args: unknown;
    try {
      const body = await readBody(req, maxBody);
      const parsed = body.length === 0 ? { args: [] } : JSON.parse(body.toString('utf8'));
      args = Array.isArray(parsed?.args) ? parsed.args : [];
    } catch (err) {
      return sendError(res, toErrorPayload(new UserError(`Bad request body: ${(err as Error).message}`)));
    }
    send(await dispatch(name, args));
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
    if (url.pathname !== '/events' || !hostAllowed(req) || !originAllowed(req) || !socketAuthorised(req)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // A frame over maxPayload (or any protocol error) ends that socket only.
      ws.on('error', () => ws.terminate());
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;
  return {
    url: `${origin}/#token=${token}&media=${mediaKey}`,
    origin,
    token,
    mediaKey,
    port,
    guard,
    async close() {
      unsubscribers.forEach((u) => u());
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function secretMatches(candidate: string, secret: string): boolean {
  const a = Buffer.from(candidate);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
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

/** An API error as data, with the status its kind answers with. */
function sendError(res: ServerResponse, error: ApiErrorPayload): void {
  sendJson(res, httpStatusFor(error.kind), { error });
}

/** A request refused before the dispatch (Host, Origin, token), as the same error data, with its check's status. */
function refuse(res: ServerResponse, err: RefusedRequestError): void {
  sendJson(res, err.status, { error: toErrorPayload(err) });
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text + '\n');
}

function sendFile(res: ServerResponse, file: string, cacheControl: string, size = statSync(file).size): void {
  res.writeHead(200, { 'Content-Type': contentType(file), 'Content-Length': size, 'Cache-Control': cacheControl });
  createReadStream(file).pipe(res);
}
