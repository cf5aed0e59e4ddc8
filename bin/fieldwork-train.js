#!/usr/bin/env node
// fieldwork-train: the headless trainer CLI (see trainer/cli.ts). Registers tsx so the TypeScript
// sources run as they are, and starts the same process entry the app's bundled trainer runs, which exits when
// the command ends (tfjs' threaded WASM workers would otherwise hold the process open).
import { register } from 'tsx/esm/api';

register();
await import('../trainer/process-main.ts');
