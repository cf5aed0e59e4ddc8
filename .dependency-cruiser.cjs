// Import rules of the three processes (npm run lint:deps; npm test runs it). ARCHITECTURE.md's layering:
// trainer/common (pure, shared by everyone) ← trainer ← electron (services ← main); renderer → trainer/common
// and the types of electron/api.ts only. bench/ and test/ may import anything, but take part in "no cycles".
// TypeScript's `import type` is seen (tsPreCompilationDeps) and marked `type-only`; .svelte files are
// compiled with svelte/compiler first, which drops their type-only imports, so in .svelte files only
// run-time imports are checked.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only ones included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'services-not-electron',
      severity: 'error',
      comment: 'electron/services is plain Node: it never imports the electron module nor electron/main.',
      from: { path: '^electron/services/' },
      to: { path: ['^electron/main/', '(^|/)node_modules/electron/'] },
    },
    {
      name: 'services-not-electron-unresolved',
      severity: 'error',
      comment: 'The same for an electron import that does not resolve (no electron package installed).',
      from: { path: '^electron/services/' },
      to: { couldNotResolve: true, path: ['^electron$', '^electron/'] },
    },
    {
      name: 'trainer-not-up',
      severity: 'error',
      comment: 'The trainer imports nothing from electron/ or renderer/ (shared shapes live in trainer/common).',
      from: { path: '^trainer/' },
      to: { path: '^(electron|renderer)/' },
    },
    {
      name: 'common-is-pure',
      severity: 'error',
      comment: 'trainer/common imports only itself: no node builtins, no npm packages, no tfjs, no other folder.',
      from: { path: '^trainer/common/' },
      to: { pathNot: '^trainer/common/' },
    },
    {
      name: 'renderer-only-common-and-api-types',
      severity: 'error',
      comment: 'The renderer imports npm packages, itself, trainer/common and electron/api.ts (types), nothing else.',
      from: { path: '^renderer/' },
      to: { pathNot: ['^renderer/', '^trainer/common/', '^electron/api\\.ts$', '(^|/)node_modules/'] },
    },
    {
      name: 'renderer-api-types-only',
      severity: 'error',
      comment: 'electron/api.ts is the contract; the renderer may import it only as `import type`.',
      // The transports (renderer/src/lib/api) read the values api.ts holds: the names they may carry
      // (API_METHODS / API_EVENTS) and the error kinds (API_ERROR_KINDS).
      from: { path: '^renderer/', pathNot: '^renderer/src/lib/api/(http|errors)\\.ts$' },
      to: { path: '^electron/api\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-no-node-builtins',
      severity: 'error',
      comment: 'The renderer runs in a sandboxed page: no node builtins.',
      from: { path: '^renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every relative import resolves to a file.',
      from: {},
      to: { couldNotResolve: true, path: '^\\.' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules is not followed but stays visible, so an import of the electron package is seen.
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.svelte', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
