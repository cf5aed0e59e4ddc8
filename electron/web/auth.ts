// The browser mode's credentials, shared by the server, its route modules and the renderer's transport.
//
// The launch URL is `http://127.0.0.1:PORT/#token=T&media=M`. The fragment never reaches any server; the page
// keeps both values in sessionStorage (this tab) and sends T as the `x-fieldwork-token` header on every
// `/api/…` (and `/x/<module>/…`) request and in the event WebSocket's sub-protocol list
// (`fieldwork, fieldwork-token.T`). M only reads image bytes: `/files/M/images/<id>`, `/files/M/thumbs/<id>`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PathGuard } from '../services/path-guard.ts';
import type { Workbench } from '../services/workbench.ts';

export const AUTH_HEADER = 'x-fieldwork-token';
export const WS_PROTOCOL = 'fieldwork';
export const WS_TOKEN_PREFIX = 'fieldwork-token.';

/** What a route module under `/x/<name>/` gets, after the server checked Host, Origin and the token header. */
export interface RouteAuth {
  /** Approve a folder the route writes to (e.g. an upload folder), so the API may then read from it. */
  guard: PathGuard;
  /** The server's request body limit, for routes that read a body. */
  maxBodyBytes: number;
  workbench: Workbench;
}

export type RouteModule = (req: IncomingMessage, res: ServerResponse, auth: RouteAuth) => Promise<void>;

/** `{token, media}` from a launch URL's fragment, or null. */
export function parseLaunchFragment(hash: string): { token: string; media: string } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  const media = params.get('media');
  if (!token || !media || !/^[0-9a-f]{16,128}$/.test(token) || !/^[0-9a-f]{16,128}$/.test(media)) return null;
  return { token, media };
}
