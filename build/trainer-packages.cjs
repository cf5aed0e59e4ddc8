// The packages the trainer process loads at run time, and everything they depend on. They are unpacked from
// the asar with the trainer bundle (build/electron-builder.config.cjs), and build/dist-check.mjs checks that
// the unpacked bundle resolves them there. Also: the packages only the command lines need (tsx), which the
// packaged app does not ship.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

/** Roots; optional ones (tfjs-node-gpu, tfjs-node) count only where they installed. */
// sharp: the trainer decodes and resizes images (trainer/data/loader.ts).
const TRAINER_ROOTS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'sharp'];

// tsx runs the command lines (bin/fieldwork.js, bin/fieldwork-train.js, `npm run web`) from the TypeScript
// sources, so it is a dependency; the packaged app runs esbuild bundles (build/bundle-*.mjs) and never loads it.
const CLI_ONLY_ROOTS = ['tsx'];

/** Installed top-level packages reachable from `roots` through dependencies + optionalDependencies. */
function dependencyClosure(roots = TRAINER_ROOTS, nodeModules = join(root, 'node_modules')) {
  const seen = new Set();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift();
    if (seen.has(name)) continue;
    const manifest = join(nodeModules, name, 'package.json');
    if (!existsSync(manifest)) continue; // optional and not installed here
    seen.add(name);
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    queue.push(...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}));
  }
  return [...seen].filter((n) => !n.startsWith('@types/')).sort();
}

/** Installed packages reachable only through CLI_ONLY_ROOTS (not through any other dependency of the app). */
function cliOnlyPackages(nodeModules = join(root, 'node_modules')) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const others = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).filter((n) => !CLI_ONLY_ROOTS.includes(n));
  const needed = new Set(dependencyClosure(others, nodeModules));
  return dependencyClosure(CLI_ONLY_ROOTS, nodeModules).filter((n) => !needed.has(n));
}

module.exports = { TRAINER_ROOTS, CLI_ONLY_ROOTS, dependencyClosure, cliOnlyPackages };
