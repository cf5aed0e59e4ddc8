// One API dispatch for both transports: the app's IPC (electron/main/ipc.ts) and the browser mode's HTTP
// (electron/web/server.ts) each authenticate their caller their own way, then hand the call here as a name
// (`<domain>.<method>`) and an argument list. Here, and only here:
// - the name must be a WorkbenchApi method listed in API_METHODS (own properties only: `constructor`,
//   `__proto__` and friends name nothing);
// - the arguments must be a list;
// - every path-taking method runs through confineApi (services/path-guard.ts) with the transport's guard;
// - the outcome becomes data: `{ok: true, value}` or `{ok: false, error: {kind, message, details}}`
//   (services/errors.ts). Internal errors are logged with their stack; only their message leaves.
// Plain Node: never imports `electron`, so the browser mode and the tests run it as is.
import { API_METHODS, type ApiReply, type WorkbenchApi } from '../api.ts';
import { NotFoundError, toErrorPayload, UserError } from './errors.ts';
import { confineApi, type PathGuard } from './path-guard.ts';

export interface ApiMethod {
  /** `<domain>.<method>`, the IPC channel and the HTTP path `/api/<domain>/<method>`. */
  name: string;
  domain: keyof WorkbenchApi;
  method: string;
}

const METHODS: readonly ApiMethod[] = (Object.keys(API_METHODS) as (keyof WorkbenchApi)[]).flatMap((domain) =>
  API_METHODS[domain].map((method) => ({ name: `${domain}.${method}`, domain, method: method as string })),
);
const BY_NAME = new Map(METHODS.map((m) => [m.name, m]));

/** Every API method, in API_METHODS order. */
export function apiMethods(): ApiMethod[] {
  return METHODS.map((m) => ({ ...m }));
}

/** The API method `name` names, or null when it names none. */
export function lookupApiMethod(name: unknown): ApiMethod | null {
  if (typeof name !== 'string') return null;
  const found = BY_NAME.get(name);
  return found ? { ...found } : null;
}

/** The refusal of a name that is no API method, the same for every transport. */
export function unknownMethod(name: string): ApiReply {
  return { ok: false, error: toErrorPayload(new NotFoundError(`No API method ${name}.`)) };
}

export type DispatchLog = (message: string, err?: unknown) => void;

/** Runs `fn` and turns its outcome into an ApiReply; logs internal errors. Never throws. */
export async function settle(what: string, fn: () => Promise<unknown>, log: DispatchLog): Promise<ApiReply> {
  try {
    const value = await fn();
    return { ok: true, value: value ?? null };
  } catch (err) {
    const error = toErrorPayload(err);
    if (error.kind === 'internal') log(`${what} failed:`, err);
    return { ok: false, error };
  }
}

export interface ApiDispatcherOptions {
  /**
   * The folders the calls may read and write: confineApi wraps the api with it. `null` only where the api
   * is a stand-in that takes no paths from outside (unit tests of the transports).
   */
  guard: PathGuard | null;
  /** Where refusals and internal errors are logged. */
  log?: DispatchLog;
  /** Prefix of log lines, e.g. `ipc` or `web`. */
  label: string;
}

/** Calls one API method by name; resolves to its reply, never rejects. */
export type ApiDispatcher = (name: string, args: unknown) => Promise<ApiReply>;

export function createApiDispatcher(api: WorkbenchApi, options: ApiDispatcherOptions): ApiDispatcher {
  const target = options.guard ? confineApi(api, options.guard) : api;
  const log = options.log ?? console.error;
  const tag = `[${options.label}]`;
  return async (name, args) => {
    const entry = lookupApiMethod(name);
    if (!entry) {
      log(`${tag} refused unknown method ${String(name)}`);
      return unknownMethod(String(name));
    }
    if (!Array.isArray(args)) return { ok: false, error: toErrorPayload(new UserError(`${entry.name}: the arguments must be a list.`)) };
    const service = target[entry.domain] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    return settle(`${tag} ${entry.name}`, () => service[entry.method](...args), log);
  };
}
