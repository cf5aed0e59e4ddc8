// `npm run web`: serves the app to a browser on 127.0.0.1 and prints the URL with its per-launch secrets.
//   npx tsx electron/web/serve.ts [--port N] [--project DIR] [--user-data DIR] [--allow DIR]...
// The API only reads and writes inside approved folders: ~/Fieldwork, the browser mode's data folder, the
// --project folder and every --allow folder (see services/path-guard.ts).
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultProjectHome } from '../services/path-guard.ts';
import { Workbench } from '../services/workbench.ts';
import { startWebServer } from './server.ts';
import { createUploadRoutes } from './uploads.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: { port: { type: 'string' }, project: { type: 'string' }, 'user-data': { type: 'string' }, allow: { type: 'string', multiple: true } },
});
const userDataDir = (values['user-data'] as string | undefined) ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Fieldwork', 'web');
const home = defaultProjectHome();
mkdirSync(home, { recursive: true });
const allow = [home, userDataDir, ...(values.project ? [values.project as string] : []), ...((values.allow as string[] | undefined) ?? [])];
const workbench = new Workbench({ userDataDir, resourcesDir: join(root, 'resources') });
if (values.project) await workbench.api.projects.open(values.project as string);
const server = await startWebServer({ workbench, staticDir: join(root, 'renderer', 'dist'), port: values.port ? Number(values.port) : 0, allow,
  routes: { uploads: createUploadRoutes({ stagingRoot: join(userDataDir, 'uploads') }) },
});
console.log(`Fieldwork (browser mode): ${server.url}`);
console.log('Open that URL in a browser on this machine (the part after # is the access key; it is never sent to a server). Ctrl+C stops the server.');
console.log(`Folders it may read and write: ${server.guard.roots().join(', ')} (add one with --allow DIR).`);

const stop = async () => {
  await server.close();
  workbench.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
