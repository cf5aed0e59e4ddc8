// Train throughput on the WebGPU adapter beside WASM, in the same run, with the adapter's name.
//   npx tsx bench/webgpu.ts [--presets cpu,paper@128] [--iterations N] [--ims N]
// Each (backend, preset) runs in its own child process (bench/train.ts --child). With no hardware
// adapter and Debian's SwiftShader present, WebGPU runs on SwiftShader and every line says
// "software": a CPU emulation, tens of times slower than WASM — a correctness path, not a speed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

if (args[0] === '--probe') {
  const { probeAdapter, describeAdapter } = await import('../trainer/backend/webgpu.ts');
  const r = await probeAdapter();
  process.stdout.write(JSON.stringify(r.adapter ? { adapter: r.adapter, name: describeAdapter(r.adapter) } : { reason: r.reason }) + '\n');
  process.exit(0);
}

const env = { ...process.env };
const probe = (): { adapter?: { software: boolean }; name?: string; reason?: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--probe'], { encoding: 'utf8', env });
  return JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{"reason":"probe failed"}');
};
let found = probe();
if (!found.adapter && !env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
  console.log(`${found.reason}; using SwiftShader (${SWIFTSHADER_ICD})`);
  env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  found = probe();
}
console.log(`WebGPU adapter: ${found.name ?? `none (${found.reason})`}`);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${process.env.CI ? 'CI' : 'this machine'})`);
const presets = opt('--presets', 'cpu,paper@128').split(',');
const trainBench = fileURLToPath(new URL('./train.ts', import.meta.url));
const rows: string[] = [];
for (const preset of presets) {
  for (const backend of found.adapter ? ['webgpu', 'wasm'] : ['wasm']) {
    const paper = preset.startsWith('paper');
    const iterations = opt('--iterations', paper ? '1' : '3');
    const ims = opt('--ims', paper ? '1' : '2');
    // One thread for WASM too: the figure is one process's, beside one GPU.
    const r = spawnSync(process.execPath, ['--import', 'tsx', trainBench, '--child', preset, backend, iterations, ims, '1'], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (r.status !== 0 || !line) {
      rows.push(`${preset.padEnd(10)} ${backend.padEnd(7)} failed: ${((r.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`).slice(0, 200)}`);
    } else {
      const j = JSON.parse(line);
      const label = j.backend === 'webgpu' && found.adapter?.software ? ' (software adapter: not a GPU figure)' : '';
      rows.push(`${preset.padEnd(10)} ${j.backend.padEnd(7)} ${String(j.imagesPerSecond).padStart(7)} img/s  ${j.medianMsPerIteration} ms/iteration  ${j.imageSize}px ×${j.imsPerBatch}  median of ${j.iterations}  peak RSS ${j.peakRssMb} MB${label}`);
    }
    console.log(rows[rows.length - 1]);
  }
}
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
