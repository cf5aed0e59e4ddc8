// Browser-mode transport: POST /api/<domain>/<method> {"args": [...]} and a WebSocket at /events.
// Authentication (electron/web/auth.ts): the launch URL's fragment `#token=…&media=…` is moved to
// sessionStorage (this tab only; never a cookie, which any other port on 127.0.0.1 would receive) and dropped
// from the address; the token goes in a header on every API call and in the WebSocket's sub-protocol list,
// the read-only media key into image URLs.
import {
  API_METHODS,
  type Unsubscribe,
  type WorkbenchClient,
  type WorkbenchEvents,
} from '../../../../electron/api.ts';
import { AUTH_HEADER, parseLaunchFragment, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../../../trainer/common/web_auth.ts';
import { ApiError, errorPayload } from './errors.ts';

const STORAGE_KEY = 'fieldwork.session';

export interface BrowserSession {
  token: string;
  media: string;
}

let taken: BrowserSession | null = null;

/** The session the HTTP client took at start-up (the upload requests send the same token), or null. */
export function currentSession(): BrowserSession | null {
  return taken;
}

/** The launch secrets: from the URL fragment on first load (then removed from it), else from sessionStorage. */
export function takeSession(): BrowserSession | null {
  taken = readSession();
  return taken;
}

function readSession(): BrowserSession | null {
  const fromUrl = parseLaunchFragment(location.hash);
  if (fromUrl) {
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(fromUrl));
    } catch {
      // Storage refused (private mode quotas): the secrets live only in this page then.
    }
    history.replaceState(null, '', location.pathname + '#/');
    return fromUrl;
  }
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as BrowserSession | null;
    if (stored && typeof stored.token === 'string' && typeof stored.media === 'string') return stored;
  } catch {
    // Nothing usable stored.
  }
  return null;
}

type Listener = (payload: unknown) => void;

export function createHttpClient(origin: string = location.origin, session: BrowserSession | null = takeSession()): WorkbenchClient {
  const listeners = new Map<string, Set<Listener>>();
  const token = session?.token ?? '';
  const events = new EventSocket(origin, token, (event, payload) => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  });

  async function call(domain: string, method: string, args: unknown[]): Promise<unknown> {
    if (!session) throw new ApiError({ kind: 'user', message: 'This tab has no access key. Open the URL that `npm run web` printed (with its #token=… part).', details: null });
    // JSON turns a trailing `undefined` into null, which an options parameter would reject.
    while (args.length > 0 && args[args.length - 1] === undefined) args = args.slice(0, -1);
    let response: Response;
    try {
      response = await fetch(`${origin}/api/${domain}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [AUTH_HEADER]: token },
        credentials: 'omit',
        body: JSON.stringify({ args }),
      });
    } catch (err) {
      throw new ApiError({ kind: 'internal', message: `The Fieldwork server is not reachable (${String(err)})`, details: null });
    }
    // `{result}` or `{error: {kind, message, details}}`; a body that is neither (a proxy's page) is internal.
    const body = (await response.json().catch(() => null)) as { result?: unknown; error?: unknown } | null;
    if (!response.ok || !body || 'error' in body) {
      throw new ApiError(errorPayload(body?.error, `${domain}.${method} failed: HTTP ${response.status}`));
    }
    return body.result;
  }

  const client: Record<string, unknown> = {};
  for (const [domain, methods] of Object.entries(API_METHODS)) {
    const functions: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const method of methods) functions[method] = (...args) => call(domain, method, args);
    client[domain] = functions;
  }
  client.on = <E extends keyof WorkbenchEvents>(event: E, listener: (p: WorkbenchEvents[E]) => void): Unsubscribe => {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    events.ensureOpen();
    return () => set.delete(listener as Listener);
  };
  client.imageUrl = (imageId: number, variant: 'full' | 'thumb') =>
    `${origin}/files/${session?.media ?? 'none'}/${variant === 'full' ? 'images' : 'thumbs'}/${imageId}`;
  return client as unknown as WorkbenchClient;
}

/** One WebSocket for all events, reopened with back-off when the server restarts. */
class EventSocket {
  #socket: WebSocket | null = null;
  #retryMs = 500;
  readonly #url: string;
  readonly #token: string;
  readonly #dispatch: (event: string, payload: unknown) => void;

  constructor(origin: string, token: string, dispatch: (event: string, payload: unknown) => void) {
    this.#url = origin.replace(/^http/, 'ws') + '/events';
    this.#token = token;
    this.#dispatch = dispatch;
  }

  ensureOpen(): void {
    if (this.#socket) return;
    const socket = new WebSocket(this.#url, [WS_PROTOCOL, WS_TOKEN_PREFIX + this.#token]);
    this.#socket = socket;
    socket.onopen = () => (this.#retryMs = 500);
    socket.onmessage = (message) => {
      try {
        const { event, payload } = JSON.parse(String(message.data)) as { event: string; payload: unknown };
        this.#dispatch(event, payload);
      } catch {
        // A malformed frame is not worth breaking the UI over.
      }
    };
    socket.onclose = () => {
      this.#socket = null;
      setTimeout(() => this.ensureOpen(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
    };
  }
}
