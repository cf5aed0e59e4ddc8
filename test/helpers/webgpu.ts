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

/**
 * A tiny synthetic run asked for WebGPU (one epoch of two images), trained to its end in this process:
 * its folder, its started event and its last event. Modules load lazily (tfjs only where it is wanted).
 */
export async function trainTinyWebgpuRun() {
  const { join } = await import('node:path');
  const { writeSyntheticRun } = await import('../../trainer/data/synthetic.ts');
  const { train } = await import('../../trainer/train.ts');
  const { tempDir } = await import('./tmp.ts');
  type TrainerEvent = import('../../trainer/protocol.ts').TrainerEvent;
  const dir = join(tempDir(), 'run');
  await writeSyntheticRun(dir, {
    seed: 4, train: 2, val: 1, width: 64, height: 64, minSize: 16, maxSize: 30,
    config: { preset: 'tiny', backend: 'webgpu', solver: { epochs: 1, warmupIterations: 1, evalEveryIterations: 0 } },
  });
  const events: TrainerEvent[] = [];
  const end = await train(dir, { onEvent: (e) => events.push(e) });
  const started = events.find((e): e is Extract<TrainerEvent, { type: 'started' }> => e.type === 'started') ?? null;
  return { dir, end, started };
}
