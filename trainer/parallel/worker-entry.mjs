// A data-parallel worker thread's entry: the trainer runs its TypeScript sources through tsx, and a
// worker thread does not inherit hooks registered at run time, so it registers tsx itself.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
