// Errors that cross the WorkbenchApi. A UserError's message is shown to the user as is, so it names the
// bad item and says what to do; an error of no class here crosses as kind `internal`, its stack logged.
//
// Across IPC and HTTP an error travels as data, `{kind, message, details}` (ApiErrorPayload): the kind
// comes from the error's class here, never from its message, and the other side rebuilds a typed error
// from it (renderer/src/lib/api/errors.ts). Internal errors carry their message only: no stack, no details.
import type { ApiErrorDetails, ApiErrorKind, ApiErrorPayload } from '../api.ts';
import { ConfigError } from '../../trainer/common/config.ts';

export class UserError extends Error {
  override name = 'UserError' as const;
  /** Structured facts about the refusal (which item, which value), for a client that wants more than the text. */
  readonly details: ApiErrorDetails | null;
  constructor(message: string, details: ApiErrorDetails | null = null) {
    super(message);
    this.details = details;
  }
}

export class NotFoundError extends Error {
  override name = 'NotFoundError' as const;
}

/** A call refused for who made it (a frame that is not the app's window), not for what it asked. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError' as const;
}

/** Which check of the browser mode refused a request before any dispatch, and the HTTP status it answers with. */
const REFUSAL_STATUS = { host: 421, origin: 403, token: 401 } as const;
export type RefusedCheck = keyof typeof REFUSAL_STATUS;

/**
 * A request refused before the dispatch for where it came from or what it lacks: a foreign Host header
 * (DNS rebinding; 421), a foreign Origin or cross-site fetch (403), no or a wrong token (401). It crosses
 * as kind `forbidden` like any caller refusal, with `details.check` naming the check.
 */
export class RefusedRequestError extends ForbiddenError {
  readonly check: RefusedCheck;
  constructor(check: RefusedCheck, message: string) {
    super(message);
    this.check = check;
  }
  get status(): number {
    return REFUSAL_STATUS[this.check];
  }
}

/** The kind an error crosses a transport as; anything not one of ours is `internal`. */
export function errorKind(err: unknown): ApiErrorKind {
  if (err instanceof UserError) return 'user';
  if (err instanceof ConfigError) return 'config';
  if (err instanceof NotFoundError) return 'not_found';
  if (err instanceof ForbiddenError) return 'forbidden';
  return 'internal';
}

export function toErrorPayload(err: unknown): ApiErrorPayload {
  const kind = errorKind(err);
  const message = err instanceof Error ? err.message : String(err);
  let details: ApiErrorDetails | null = null;
  if (err instanceof UserError) details = err.details;
  else if (err instanceof ConfigError) details = { ...err.details };
  else if (err instanceof RefusedRequestError) details = { check: err.check };
  return { kind, message, details };
}

/** True for errors whose message is meant for the user as is (every kind but `internal`). */
export function isUserFacing(err: unknown): boolean {
  return errorKind(err) !== 'internal';
}

/** The HTTP status an error kind answers with in the browser mode. */
export function httpStatusFor(kind: ApiErrorKind): number {
  switch (kind) {
    case 'user':
    case 'config':
      return 400;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    default:
      return 500;
  }
}

/** Lists at most `max` items, then "… and N more", for messages about many bad entries. */
export function listSome(items: string[], max = 5): string {
  if (items.length <= max) return items.join('; ');
  return `${items.slice(0, max).join('; ')}; … and ${items.length - max} more`;
}
