import type { WorkbenchClient } from '../../../../electron/api.ts';
import { createHttpClient } from './http.ts';
import { createIpcClient } from './ipc.ts';

/** Chosen once at start-up: the Electron preload bridge when present, else the browser-mode server. */
export function createClient(): WorkbenchClient {
  return window.fieldwork ? createIpcClient(window.fieldwork) : createHttpClient();
}
