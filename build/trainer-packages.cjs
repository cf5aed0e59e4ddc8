// The packages the trainer process loads at run time, and everything they depend on. They are unpacked from
// the asar with the trainer (build/electron-builder.config.cjs), and build/dist-check.mjs checks that the
// unpacked trainer resolves them there.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

/** Roots; optional ones (tfjs-node-gpu, tfjs-node) count only where they installed. */
// sharp: the trainer decodes and resizes images (trainer/data/loader.ts).
const TRAINER_ROOTS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'tsx', 'sharp'];

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

module.exports = { TRAINER_ROOTS, dependencyClosure };
