// How the desktop app starts the trainer: Electron's `utilityProcess.fork(<this file>, args)` — a Node
// process of the app's own binary that needs no RunAsNode fuse. Plain JavaScript (the utility process has no
// TypeScript loader): it registers tsx's ESM hooks, then runs trainer/cli.ts with the arguments it was given.
// Node can run it the same way (`node trainer/utility-entry.mjs train <run-dir> --json`), which is how
// dist:check proves the packed trainer starts.
//
// A parent may hand it MessagePorts (e.g. the GPU host): in a utility process they arrive as
// `process.parentPort` 'message' events; trainer code reads them through globalThis.fieldworkParentPort.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const args = process.argv.slice(2);
process.argv = [process.argv[0], cli, ...args];
if (process.parentPort) globalThis.fieldworkParentPort = process.parentPort;
register();
await import(pathToFileURL(cli).href);
