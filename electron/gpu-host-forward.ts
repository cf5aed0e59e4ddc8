// What the GPU host window's preload (./gpu-host-preload.ts) does, apart from Electron so tests can run it:
// forward each MessagePort main sends on GPU_PORT_CHANNEL into the page, as the window message the page
// (trainer/gpu_host/page_entry.ts) accepts from its own window.
import { GPU_PORT_CHANNEL, GPU_PORT_MESSAGE } from '../trainer/gpu_host/names.ts';

export interface PortIpcLike {
  on(channel: string, listener: (event: { ports: readonly MessagePort[]; senderId?: number }) => void): unknown;
}

/** Forwards ports from main (senderId 0 where Electron still reports it: main itself, not a renderer) into `target`. */
export function forwardGpuPorts(ipc: PortIpcLike, target: Pick<Window, 'postMessage'>): void {
  ipc.on(GPU_PORT_CHANNEL, (event) => {
    if (event.senderId !== undefined && event.senderId !== 0) return;
    const [port] = event.ports ?? [];
    if (port) target.postMessage({ type: GPU_PORT_MESSAGE }, '*', [port]);
  });
}
