// How the desktop app starts the trainer in development: Electron's `utilityProcess.fork(<this file>, args)` —
// a Node process of the app's own binary that needs no RunAsNode fuse. Plain JavaScript (the utility process
// has no TypeScript loader): it registers tsx's ESM hooks, then runs ./process-main.ts, which runs the trainer
// CLI with the arguments it was given. Node can run it the same way
// (`node trainer/utility-entry.mjs train <run-dir> --json`).
// The packaged app forks dist/trainer/utility-entry.mjs instead: process-main.ts bundled by
// build/bundle-trainer.mjs, with no tsx (build/dist-check.mjs runs that bundle from the packed app).
import { register } from 'tsx/esm/api';

register();
await import('./process-main.ts');
