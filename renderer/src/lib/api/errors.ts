import { API_ERROR_KINDS, type ApiErrorDetails, type ApiErrorKind, type ApiErrorPayload, type ApiReply } from '../../../../electron/api.ts';

/**
 * An error that crossed a transport, rebuilt from its data `{kind, message, details}` (never parsed out of a
 * message string). `message` is meant for the user as is; `kind` says what went wrong (electron/api.ts
 * ApiErrorKind) and `details` carries the facts the kind has (a config error's key, rule and value).
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly kind: ApiErrorKind;
  readonly details: ApiErrorDetails | null;
  constructor(payload: ApiErrorPayload) {
    super(payload.message);
    this.kind = payload.kind;
    this.details = payload.details;
  }
}

/** The error data a transport delivered, checked: an unknown kind is `internal`, a missing message says so. */
export function errorPayload(raw: unknown, fallback: string): ApiErrorPayload {
  const e = raw as { kind?: unknown; message?: unknown; details?: unknown } | null;
  if (!e || typeof e !== 'object') return { kind: 'internal', message: fallback, details: null };
  const kind = (API_ERROR_KINDS as readonly unknown[]).includes(e.kind) ? (e.kind as ApiErrorKind) : 'internal';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : fallback;
  const details = e.details && typeof e.details === 'object' && !Array.isArray(e.details) ? (e.details as ApiErrorDetails) : null;
  return { kind, message, details };
}

/** The value of a reply, or its error thrown as an ApiError. */
export function unwrapReply<T>(reply: unknown, what: string): T {
  const r = reply as ApiReply<T> | null;
  if (r && typeof r === 'object' && r.ok === true) return r.value;
  if (r && typeof r === 'object' && r.ok === false) throw new ApiError(errorPayload(r.error, `${what} failed.`));
  throw new ApiError({ kind: 'internal', message: `${what}: malformed reply.`, details: null });
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
