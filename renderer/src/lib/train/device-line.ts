// The Train screen's "Trains on:" line: which device a run of the chosen options will train on, as
// the time estimate measured it (the trainer's own backend choice, run for real, not a guess from the
// renderer), with the GPU adapter's name on WebGPU and why WebGPU was passed over when it was.
import type { RunEstimate } from '../../../../electron/api.ts';

const CPU_BACKENDS: Record<string, string> = {
  wasm: 'the CPU (WebAssembly)',
  cpu: 'the CPU (plain JavaScript, the slowest backend)',
  tensorflow: 'the CPU (native TensorFlow)',
  'tensorflow-gpu': 'the GPU (native TensorFlow with CUDA)',
};

export function deviceLine(e: Pick<RunEstimate, 'backend' | 'gpu' | 'notes'>): string {
  if (e.backend === 'webgpu') {
    const g = e.gpu;
    if (!g) return 'Trains on: a GPU through WebGPU (the adapter did not say which)';
    const name = [g.vendor, g.architecture].filter(Boolean).join(' ') || 'an unnamed adapter';
    const detail = g.description && g.description !== g.architecture ? ` (${g.description})` : '';
    const host = g.host === 'chromium' ? "the app's WebGPU" : "Dawn's WebGPU";
    return `Trains on: ${name}${detail} through ${host}${g.software ? ' — a software adapter: a CPU emulation of a GPU, slower than WebAssembly' : ''}`;
  }
  const passedOver = e.notes?.find((n) => n.startsWith('WebGPU not used:'));
  return `Trains on: ${CPU_BACKENDS[e.backend] ?? e.backend}${passedOver ? ` — ${passedOver}` : ''}`;
}
