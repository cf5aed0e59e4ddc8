// The ABI guard: a native addon built against V8/Node headers (better-sqlite3 uses NAN, not N-API) exports
// `node_register_module_v<NODE_MODULE_VERSION>`, and Electron refuses to load one whose number is not its own.
// @electron/rebuild without internet access quietly leaves the Node build in place, so the packaging step
// reads that number from every addon it packed and fails when it is not Electron's.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** The addons that must match Electron's ABI (others may be N-API, which has no such number). */
export const REQUIRED_ADDONS = ['better_sqlite3.node'];

/** Every NODE_MODULE_VERSION named by a `node_register_module_v<N>` symbol in the binary (ELF, Mach-O or PE). */
export function readNodeModuleVersions(bytes) {
  const text = Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength ?? bytes.length).toString('latin1');
  const found = new Set();
  for (const match of text.matchAll(/node_register_module_v(\d{1,4})(?!\d)/g)) found.add(Number(match[1]));
  return [...found].sort((a, b) => a - b);
}

/** Whether the binary is an N-API addon (ABI-stable, no NODE_MODULE_VERSION to check). */
export function isNapiAddon(bytes) {
  return Buffer.from(bytes).includes('napi_register_module_v1');
}

/** A readable name for an ABI number, e.g. 115 → "Node 20.x", 145 → "Electron 41.x". */
export function describeAbi(abi) {
  try {
    const nodeAbi = require('node-abi');
    const names = [];
    for (const runtime of ['node', 'electron']) {
      const target = nodeAbi.allTargets.find((t) => t.runtime === runtime && Number(t.abi) === abi);
      if (target) names.push(`${runtime === 'node' ? 'Node' : 'Electron'} ${target.target.split('.')[0]}.x`);
    }
    if (names.length) return `${abi} (${names.join(' / ')})`;
  } catch {
    // node-abi not installed: the number alone
  }
  return String(abi);
}

/**
 * NODE_MODULE_VERSION of an Electron version: from the installed electron package (its abi_version file)
 * when the versions match, cross-checked with node-abi's table when that is installed.
 */
export function electronAbi(electronVersion, projectDir = root) {
  let fromPackage = null;
  const pkgDir = join(projectDir, 'node_modules', 'electron');
  if (existsSync(join(pkgDir, 'abi_version')) && existsSync(join(pkgDir, 'package.json'))) {
    const installed = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
    if (installed === electronVersion) fromPackage = Number(readFileSync(join(pkgDir, 'abi_version'), 'utf8').trim());
  }
  let fromTable = null;
  try {
    fromTable = Number(require('node-abi').getAbi(electronVersion, 'electron'));
  } catch {
    // unknown to this node-abi, or node-abi absent
  }
  if (fromPackage !== null && fromTable !== null && fromPackage !== fromTable) {
    throw new Error(`Electron ${electronVersion}: electron/abi_version says ${fromPackage}, node-abi says ${fromTable}; update node-abi.`);
  }
  const abi = fromPackage ?? fromTable;
  if (abi === null || !Number.isInteger(abi)) throw new Error(`Cannot tell the NODE_MODULE_VERSION of Electron ${electronVersion} (no electron/abi_version for it, node-abi does not know it).`);
  return abi;
}

/** Checks one addon's bytes against the expected ABI. */
export function checkAddonAbi(bytes, expectedAbi, name = 'addon') {
  const found = readNodeModuleVersions(bytes);
  if (found.length === 0) {
    if (isNapiAddon(bytes)) return { ok: true, found, message: `${name}: N-API addon, ABI-independent` };
    return { ok: false, found, message: `${name}: no node_register_module_v<N> symbol found; is this a Node addon at all?` };
  }
  if (found.length === 1 && found[0] === expectedAbi) return { ok: true, found, message: `${name}: NODE_MODULE_VERSION ${describeAbi(found[0])}, as Electron needs` };
  return {
    ok: false,
    found,
    message: `${name}: built for NODE_MODULE_VERSION ${found.map(describeAbi).join(', ')}, but Electron needs ${describeAbi(expectedAbi)}. ` +
      'The rebuild for Electron did not happen (it needs Electron headers or prebuilt binaries from the internet).',
  };
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) walk(path, out);
    else if (name.endsWith('.node')) out.push(path);
  }
  return out;
}

/**
 * Checks every native addon under `<resourcesDir>/app.asar.unpacked` (electron-builder unpacks them) against
 * `expectedAbi`; the REQUIRED_ADDONS must be among them. Returns the report lines; `ok` false on any mismatch.
 */
export function checkPackedAddons(resourcesDir, expectedAbi) {
  const unpacked = join(resourcesDir, 'app.asar.unpacked');
  const addons = walk(unpacked);
  const results = addons.map((file) => ({ file: relative(resourcesDir, file), ...checkAddonAbi(readFileSync(file), expectedAbi, relative(unpacked, file)) }));
  const missing = REQUIRED_ADDONS.filter((name) => !addons.some((file) => file.endsWith(name)));
  for (const name of missing) results.push({ file: name, ok: false, found: [], message: `${name}: not found under ${unpacked}` });
  return { ok: results.every((r) => r.ok), results };
}

export const SKIP_ENV = 'FIELDWORK_SKIP_ABI_CHECK';

/** electron-builder afterPack hook. Throws (failing the build) when a packed addon has the wrong ABI. */
export async function afterPackAbiGuard(context, { env = process.env, log = console.log } = {}) {
  const electronVersion = context.packager.config.electronVersion ?? context.packager.info?.framework?.version;
  const resourcesDir = context.packager.getResourcesDir(context.appOutDir);
  const expected = electronAbi(electronVersion, context.packager.projectDir ?? root);
  const report = checkPackedAddons(resourcesDir, expected);
  const lines = report.results.map((r) => `  ${r.ok ? 'ok  ' : 'BAD '} ${r.message}`);
  if (env[SKIP_ENV]) {
    log(`[abi] SKIPPED the native ABI guard (${SKIP_ENV}=${env[SKIP_ENV]}). What it would have said for Electron ${electronVersion}:\n${lines.join('\n')}`);
    return report;
  }
  if (!report.ok) {
    throw new Error(`[abi] Native addons packed with the wrong ABI for Electron ${electronVersion}:\n${lines.join('\n')}\n` +
      'Run the packaging on a machine with internet access (electron-builder rebuilds them with @electron/rebuild), ' +
      'or rebuild by hand: npx electron-builder install-app-deps');
  }
  log(`[abi] native addons match Electron ${electronVersion}:\n${lines.join('\n')}`);
  return report;
}
