// `npm run web`: serves the app to a browser on 127.0.0.1 and prints the URL with its per-launch token.
//   npx tsx electron/web/serve.ts [--port N] [--project DIR] [--user-data DIR]
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Workbench } from '../services/workbench.ts';
import { startWebServer } from './server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: { port: { type: 'string' }, project: { type: 'string' }, 'user-data': { type: 'string' } },
});
const userDataDir = (values['user-data'] as string | undefined) ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Fieldwork', 'web');
const workbench = new Workbench({ userDataDir, resourcesDir: join(root, 'resources') });
if (values.project) await workbench.api.projects.open(values.project as string);
const server = await startWebServer({ workbench, staticDir: join(root, 'renderer', 'dist'), port: values.port ? Number(values.port) : 0 });
console.log(`Fieldwork (browser mode): ${server.url}`);
console.log('Open that URL in a browser on this machine. Ctrl+C stops the server.');

const stop = async () => {
  await server.close();
  workbench.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
