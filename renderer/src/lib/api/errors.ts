import type { ApiErrorPayload } from '../../../../electron/api.ts';

/** An error that crossed a transport; `message` is meant for the user as is. */
export class ApiError extends Error {
  readonly kind: ApiErrorPayload['name'];
  constructor(payload: ApiErrorPayload) {
    super(payload.message);
    this.name = payload.name;
    this.kind = payload.name;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
