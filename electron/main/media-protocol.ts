// `fieldwork-media://images/<id>` and `fieldwork-media://thumbs/<id>` → the stored image files of the open
// project, via Workbench.mediaFile. Only those two hosts and a decimal id are accepted; the file path comes
// from the project store, never from the URL, and must resolve (through symlinks) to a regular file inside the
// project folder, under a size cap (services/media-file.ts).
import { NotFoundError, toErrorPayload, UserError } from '../services/errors.ts';
import { contentType } from '../services/content-types.ts';
import { DEFAULT_MAX_MEDIA_BYTES, openMediaFile } from '../services/media-file.ts';
import { securityHeaders } from './csp.ts';
import { APP_HOST, APP_SCHEME, MEDIA_SCHEME, parseUrl } from './schemes.ts';
import type { FileReader } from './app-protocol.ts';

export type MediaKind = 'images' | 'thumbs';

export interface MediaSource {
  mediaFile(kind: MediaKind, id: number): string;
  /** The open project (throws when none is open). */
  readonly project: { readonly dir: string };
}

/** `{kind, id}` for a well-formed media URL, else null. */
export function parseMediaUrl(raw: string): { kind: MediaKind; id: number } | null {
  const url = parseUrl(raw);
  if (!url || url.protocol !== `${MEDIA_SCHEME}:` || url.username || url.password || url.port || url.search || url.hash) return null;
  if (url.host !== 'images' && url.host !== 'thumbs') return null;
  const match = /^\/([1-9]\d{0,15})$/.exec(url.pathname);
  if (!match) return null;
  const id = Number(match[1]);
  if (!Number.isSafeInteger(id)) return null;
  return { kind: url.host, id };
}

export interface MediaProtocolOptions {
  workbench: MediaSource;
  readFile: FileReader;
  log?: (message: string, err: unknown) => void;
  /** Largest file served, in bytes. */
  maxBytes?: number;
}

function fail(status: number, err: unknown): Response {
  return new Response(JSON.stringify({ error: toErrorPayload(err) }), {
    status,
    headers: { ...securityHeaders(), 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/** The handler given to `protocol.handle('fieldwork-media', …)`. */
export function createMediaProtocolHandler(options: MediaProtocolOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return fail(405, new UserError('Media is read-only.'));
    const target = parseMediaUrl(request.url);
    if (!target) return fail(404, new NotFoundError('No such media URL.'));
    let file: string;
    try {
      file = openMediaFile(options.workbench.project.dir, options.workbench.mediaFile(target.kind, target.id), options.maxBytes ?? DEFAULT_MAX_MEDIA_BYTES).path;
    } catch (err) {
      if (err instanceof NotFoundError) return fail(404, err);
      if (err instanceof UserError) return fail(409, err);
      options.log?.(`[media] ${request.url} failed:`, err);
      return fail(500, err);
    }
    const bytes = await options.readFile(file);
    if (bytes === null) return fail(404, new NotFoundError(`The file for image ${target.id} is missing from the project.`));
    return new Response(request.method === 'HEAD' ? null : (bytes as Uint8Array<ArrayBuffer>), {
      status: 200,
      headers: {
        ...securityHeaders(),
        'Content-Type': contentType(file),
        'Content-Length': String(bytes.byteLength),
        'Cache-Control': 'private, max-age=3600',
        // The app page is another origin than fieldwork-media://…; let it draw these on a canvas untainted.
        'Access-Control-Allow-Origin': `${APP_SCHEME}://${APP_HOST}`,
      },
    });
  };
}
