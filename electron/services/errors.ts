// Errors that cross the WorkbenchApi. A UserError's message is shown to the user as is, so it names the
// bad item and says what to do; anything else is an InternalError whose details go to the log.
import type { ApiErrorPayload } from '../api.ts';

export class UserError extends Error {
  override name = 'UserError' as const;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError' as const;
}

export function toErrorPayload(err: unknown): ApiErrorPayload {
  if (err instanceof UserError || err instanceof NotFoundError) return { name: err.name, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { name: 'InternalError', message };
}

/** Lists at most `max` items, then "… and N more", for messages about many bad entries. */
export function listSome(items: string[], max = 5): string {
  if (items.length <= max) return items.join('; ');
  return `${items.slice(0, max).join('; ')}; … and ${items.length - max} more`;
}
