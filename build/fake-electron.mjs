// A stand-in for an unpacked Electron distribution (linux-x64), for packaging checks on machines that cannot
// download Electron. electron-builder (electronDist = a folder) copies the folder, renames `electron` to the
// app's executable name and writes resources/app.asar. The file names are those of the official
// electron-v<version>-linux-x64.zip; the "binary" is a shell script holding a fuse wire (the sentinel
// @electron/fuses looks for), so the configured fuses are really flipped and can be read back.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Fuse wire v1 as in Electron 41: 8 fuses. Initial states match Electron's defaults (1 = on, 0 = off). */
export const ELECTRON_DEFAULT_FUSES = '10110001'; // RunAsNode, CookieEncryption, NodeOptions, CliInspect, AsarIntegrity, OnlyAsar, V8Snapshot, FileProtocol

export const LINUX_X64_FILES = [
  'LICENSE',
  'LICENSES.chromium.html',
  'chrome-sandbox',
  'chrome_100_percent.pak',
  'chrome_200_percent.pak',
  'chrome_crashpad_handler',
  'icudtl.dat',
  'libEGL.so',
  'libGLESv2.so',
  'libffmpeg.so',
  'libvk_swiftshader.so',
  'libvulkan.so.1',
  'locales/en-US.pak',
  'locales/de.pak',
  'resources.pak',
  'snapshot_blob.bin',
  'v8_context_snapshot.bin',
  'vk_swiftshader_icd.json',
];

export function makeFakeElectronDist(dir, version) {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  mkdirSync(join(dir, 'locales'), { recursive: true });
  for (const file of LINUX_X64_FILES) writeFileSync(join(dir, file), `fake ${file} for Electron ${version}\n`);
  const wire = Buffer.concat([Buffer.from(FUSE_SENTINEL, 'latin1'), Buffer.from([1, ELECTRON_DEFAULT_FUSES.length]), Buffer.from(ELECTRON_DEFAULT_FUSES, 'latin1')]);
  const script = Buffer.concat([
    Buffer.from(`#!/bin/sh\necho "stand-in for Electron ${version}: cannot run" >&2\nexit 1\n# fuse wire: `, 'latin1'),
    wire,
    Buffer.from('\n', 'latin1'),
  ]);
  writeFileSync(join(dir, 'electron'), script);
  chmodSync(join(dir, 'electron'), 0o755);
  chmodSync(join(dir, 'chrome-sandbox'), 0o755);
  chmodSync(join(dir, 'chrome_crashpad_handler'), 0o755);
  writeFileSync(join(dir, 'version'), version);
  return dir;
}
