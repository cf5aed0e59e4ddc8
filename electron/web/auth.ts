// The browser mode's credentials, shared by the server, its route modules and the renderer's transport
// (the names and the fragment parser are pure, in trainer/common/web_auth.ts, so the renderer can import them).
//
// The launch URL is `http://127.0.0.1:PORT/#token=T&media=M`. The fragment never reaches any server; the page
// keeps both values in sessionStorage (this tab) and sends T as the `x-fieldwork-token` header on every
// `/api/…` (and `/x/<module>/…`) request and in the event WebSocket's sub-protocol list
// (`fieldwork, fieldwork-token.T`). M only reads image bytes: `/files/M/images/<id>`, `/files/M/thumbs/<id>`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PathGuard } from '../services/path-guard.ts';
import type { Workbench } from '../services/workbench.ts';

export { AUTH_HEADER, parseLaunchFragment, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../trainer/common/web_auth.ts';

/** What a route module under `/x/<name>/` gets, after the server checked Host, Origin and the token header. */
export interface RouteAuth {
  /** Approve a folder the route writes to (e.g. an upload folder), so the API may then read from it. */
  guard: PathGuard;
  /** The server's request body limit, for routes that read a body. */
  maxBodyBytes: number;
  workbench: Workbench;
}

export type RouteModule = (req: IncomingMessage, res: ServerResponse, auth: RouteAuth) => Promise<void>;
