// The trainer process as the packaged app runs it: build/bundle-trainer.mjs bundles this file into
// dist/trainer/utility-entry.mjs, which Electron's utilityProcess forks (electron/main/trainer-launcher.ts).
// In development trainer/utility-entry.mjs does the same through tsx.
//
// A parent may hand the process MessagePorts (e.g. the GPU host): in a utility process they arrive as
// `process.parentPort` 'message' events; trainer code reads them through globalThis.fieldworkParentPort.
// The GPU host's offer is listened for first thing (./gpu_host/trainer_side.ts), before any await.
import { main } from './cli.ts';
import { watchParentPort, type ParentPortLike } from './gpu_host/trainer_side.ts';

const parentPort = (process as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) watchParentPort(parentPort);
const code = await main(process.argv.slice(2));
// The process ends when the command does: tfjs' threaded WASM build (wasmThreads > 1) keeps its pthread
// workers alive, and they would hold the process open after the run's last event. Output is flushed first.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((done) => s.write('', () => done()))));
process.exit(code);
