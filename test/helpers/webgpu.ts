// WebGPU in tests: Dawn's Node bindings (optional npm package `webgpu`) on SwiftShader, the software
// Vulkan driver Debian's chromium package ships. Software: these tests check correctness, not speed.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export const SWIFTSHADER_ICD = process.env.FIELDWORK_SWIFTSHADER_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Why WebGPU tests cannot run here, or false. */
export function webgpuSkipReason(): string | false {
  if (!existsSync(SWIFTSHADER_ICD)) return `SwiftShader's Vulkan driver is missing (${SWIFTSHADER_ICD}; apt-get install chromium)`;
  try {
    createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return 'the optional npm package "webgpu" (Dawn for Node) is not installed';
  }
  return false;
}

/** Points Vulkan at SwiftShader; must run before the first WebGPU adapter request. */
export function useSwiftShader(): void {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}
