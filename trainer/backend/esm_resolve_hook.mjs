// Node module-resolution hook: tfjs-core's ESM build (dist/*.js) uses extensionless relative imports
// ('../ops/mul'), which Node's ESM loader rejects. We need that build only for
// dist/register_all_gradients.js (the CommonJS bundle has no gradients). For relative specifiers
// from inside @tensorflow/tfjs-core/dist, prefer '<spec>.js' when that file exists.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent && parent.includes('/@tensorflow/tfjs-core/dist/') && specifier.startsWith('.') && !specifier.endsWith('.js')) {
    const url = new URL(specifier + '.js', parent);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true, format: 'module' };
  }
  return nextResolve(specifier, context);
}
