#!/usr/bin/env node
// fieldwork-train: the headless trainer CLI (see trainer/cli.ts). Registers tsx so the TypeScript
// sources run as they are.
import { register } from 'tsx/esm/api';

register();
await import('../trainer/cli.ts');
