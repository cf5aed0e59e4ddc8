// electron-builder configuration (passed with `-c build/electron-builder.config.cjs`; package.json has no
// "build" key). Targets: Linux AppImage + deb, Windows NSIS, macOS dmg.
//
// Layout of a packaged app (resources/ is process.resourcesPath):
//   resources/app.asar            package.json, dist/electron/** (main, preload), renderer/dist/**, JS deps
//   resources/app.asar.unpacked/  dist/trainer/** (the trainer bundled by build/bundle-trainer.mjs: the utility
//                                 process entry, the worker-thread entry) and the trainer's runtime packages
//                                 (tfjs with its WASM binaries, sharp), which the trainer process and its worker
//                                 threads load from disk; native modules (better-sqlite3, sharp)
//   resources/demo, icon.png      copied from the repo's resources/ (the app's resourcesDir)
// The trainer's dependency closure is unpacked whole, so that `import '@tensorflow/tfjs-backend-wasm'` from
// the unpacked bundle resolves inside app.asar.unpacked and wasmDir() finds the .wasm files next to it.
// No TypeScript is packed and no tsx: the command lines need it (build/trainer-packages.cjs), the app does not.
'use strict';
const { cliOnlyPackages, dependencyClosure, TRAINER_ROOTS } = require('./trainer-packages.cjs');

const trainerPackages = dependencyClosure(TRAINER_ROOTS);
const notShipped = cliOnlyPackages();

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'org.fieldwork.app',
  productName: 'Fieldwork',
  executableName: 'fieldwork',
  copyright: 'Copyright © Fieldwork contributors',
  artifactName: '${productName}-${version}-${os}-${arch}.${ext}',
  directories: { output: 'release', buildResources: 'build' },
  icon: 'resources/icon.png',

  files: [
    'package.json',
    'dist/electron/**',
    'renderer/dist/**',
    'dist/trainer/**',
    // never: sources maps, tests, type declarations
    '!**/*.map',
    '!**/*.test.{ts,js,mjs}',
    '!**/{test,tests,__tests__,fixtures}/**',
    // better-sqlite3: only the addon, not the SQLite sources or the build tree
    '!node_modules/better-sqlite3/{deps,src,docs,benchmark}/**',
    '!node_modules/better-sqlite3/build/Release/{obj,obj.target,.deps,test_extension.node}',
    '!node_modules/better-sqlite3/build/{deps,node_gyp_bins,Makefile,*.mk,*.gypi,config.gypi}',
    // tfjs: the Node builds and the ESM tree stay; browser bundles and its own tests go
    '!node_modules/@tensorflow/*/dist/*.{min.js,es2017.js,fesm.js,externs.js}',
    '!node_modules/@tensorflow/*/dist/**/*_test.{js,d.ts}',
    '!node_modules/@tensorflow/*/src/**',
    // tsx and what only it needs (esbuild): the command lines' TypeScript loader, not used by the app
    ...notShipped.map((name) => `!node_modules/${name}/**`),
  ],
  extraResources: [{ from: 'resources', to: '.', filter: ['**/*'] }],

  asar: true,
  asarUnpack: [
    'dist/trainer/**',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
    ...trainerPackages.map((name) => `node_modules/${name}/**`),
  ],

  // Native modules are rebuilt for Electron's ABI before packing (@electron/rebuild; needs Electron's headers
  // or prebuilt binaries from the internet). afterPack then checks the ABI of what was packed.
  npmRebuild: true,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  afterPack: async (context) => {
    const { afterPackAbiGuard } = await import('./native-abi.mjs');
    await afterPackAbiGuard(context);
  },

  // Electron fuses (security checklist). RunAsNode off: the trainer is a utilityProcess (electron/main/
  // trainer-launcher.ts), so nobody can run arbitrary JS as the app through ELECTRON_RUN_AS_NODE. ASAR
  // integrity on: electron-builder writes app.asar's hash into the macOS and Windows executables (Linux
  // has no embedded hash; the fuse is a no-op there). Only app.asar is loaded as the app.
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  },

  linux: {
    target: ['AppImage', 'deb'],
    category: 'Science',
    synopsis: 'Label images, train Mask R-CNN from scratch, see whether your data is enough.',
    maintainer: 'Fieldwork contributors',
  },
  win: { target: [{ target: 'nsis', arch: ['x64'] }] },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true, createDesktopShortcut: true },
  mac: { target: ['dmg'], category: 'public.app-category.productivity', hardenedRuntime: true },
  dmg: { title: '${productName} ${version}' },
};

module.exports = config;
