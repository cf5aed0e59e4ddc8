// `fieldwork://app/…` → files of the built renderer (renderer/dist). Paths are taken from the parsed URL,
// percent-decoded, resolved against the renderer folder and accepted only when path.relative says they stay
// inside it; a client-side route (no file extension) falls back to index.html.
import { isAbsolute, relative, resolve, extname } from 'node:path';
import { contentType } from '../services/content-types.ts';
import { securityHeaders } from './csp.ts';
import { isAppUrl, parseUrl } from './schemes.ts';

export type AppFileResolution =
  | { kind: 'file'; path: string; relPath: string }
  | { kind: 'refused'; reason: string };

/**
 * Maps an app URL onto a path under `rendererDir` without touching the disk. Refuses anything that is
 * not `fieldwork://app/…`, is not valid percent-encoding, holds a NUL or backslash, or leaves the folder.
 */
export function resolveAppPath(rendererDir: string, rawUrl: string): AppFileResolution {
  if (!isAppUrl(rawUrl)) return { kind: 'refused', reason: 'not an app URL' };
  const url = parseUrl(rawUrl)!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'refused', reason: 'bad percent-encoding' };
  }
  // A backslash is a separator on Windows and never part of a file name we ship; NUL ends C strings.
  if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'refused', reason: 'bad character in path' };
  const root = resolve(rendererDir);
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const path = resolve(root, rel);
  const back = relative(root, path);
  if (back === '' || back === '..' || back.startsWith('..' + '/') || back.startsWith('..\\') || isAbsolute(back)) {
    return { kind: 'refused', reason: 'path leaves the renderer folder' };
  }
  return { kind: 'file', path, relPath: back };
}

export interface FileReader {
  /** Resolves with the bytes, or null when there is no such regular file. */
  (path: string): Promise<Uint8Array | null>;
}

/** A folder served under `fieldwork://app/<prefix>/…` instead of the renderer's, with its own CSP. */
export interface AppMount {
  prefix: string;
  dir: string;
  csp: string;
}

export interface AppProtocolOptions {
  rendererDir: string;
  readFile: FileReader;
  /** E.g. the GPU host page (electron/main/gpu-host.ts): dist/gpu-host under /gpu-host/. */
  mounts?: readonly AppMount[];
}

function text(status: number, body: string): Response {
  return new Response(body + '\n', {
    status,
    headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/** The mount an app URL's first path segment names, and the URL with that segment removed; null when none. */
function mounted(mounts: readonly AppMount[], rawUrl: string): { mount: AppMount; url: string } | null {
  const url = parseUrl(rawUrl);
  if (!url || !isAppUrl(rawUrl)) return null;
  for (const mount of mounts) {
    const head = `/${mount.prefix}/`;
    if (url.pathname.startsWith(head)) return { mount, url: `${url.protocol}//${url.host}/${url.pathname.slice(head.length)}` };
  }
  return null;
}

async function serveMounted(m: { mount: AppMount; url: string }, request: Request, readFile: FileReader): Promise<Response> {
  const target = resolveAppPath(m.mount.dir, m.url);
  if (target.kind === 'refused') return text(404, 'Not found.');
  const bytes = await readFile(target.path);
  if (bytes === null) return text(404, 'Not found.');
  return new Response(request.method === 'HEAD' ? null : (bytes as Uint8Array<ArrayBuffer>), {
    status: 200,
    headers: { ...securityHeaders(), 'Content-Security-Policy': m.mount.csp, 'Content-Type': contentType(target.path), 'Content-Length': String(bytes.byteLength), 'Cache-Control': 'no-cache' },
  });
}

/** The handler given to `protocol.handle('fieldwork', …)`. */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const root = resolve(options.rendererDir);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method not allowed.');
    const m = mounted(options.mounts ?? [], request.url);
    if (m) return serveMounted(m, request, options.readFile);
    const target = resolveAppPath(root, request.url);
    if (target.kind === 'refused') return text(404, 'Not found.');
    let path = target.path;
    let bytes = await options.readFile(path);
    if (bytes === null && !extname(target.relPath)) {
      // Client-side route: the app decides what to show.
      path = resolve(root, 'index.html');
      bytes = await options.readFile(path);
    }
    if (bytes === null) {
      if (path === resolve(root, 'index.html')) return text(503, `The renderer is not built: run \`npm run build:renderer\` (looked in ${root}).`);
      return text(404, 'Not found.');
    }
    const immutable = target.relPath.startsWith('assets/') || target.relPath.startsWith('assets\\');
    return new Response(request.method === 'HEAD' ? null : (bytes as Uint8Array<ArrayBuffer>), {
      status: 200,
      headers: {
        ...securityHeaders(),
        'Content-Type': contentType(path),
        'Content-Length': String(bytes.byteLength),
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
    });
  };
}
