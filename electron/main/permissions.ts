// Permissions: the app needs none of the web's (camera, notifications, geolocation, …). Every request and
// every check is refused, on the session the window uses.
import type { Session } from 'electron';

export function denyAllPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
