// The browser mode's credential names and launch-fragment parser, shared by the server (electron/web/auth.ts,
// which explains the scheme) and the renderer's HTTP transport.

export const AUTH_HEADER = 'x-fieldwork-token';
export const WS_PROTOCOL = 'fieldwork';
export const WS_TOKEN_PREFIX = 'fieldwork-token.';

/** `{token, media}` from a launch URL's fragment, or null. */
export function parseLaunchFragment(hash: string): { token: string; media: string } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  const media = params.get('media');
  if (!token || !media || !/^[0-9a-f]{16,128}$/.test(token) || !/^[0-9a-f]{16,128}$/.test(media)) return null;
  return { token, media };
}
