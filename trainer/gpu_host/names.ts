// Names the GPU host's three parts agree on: main (electron/main/gpu-host.ts), the window's preload
// (electron/gpu-host-preload.ts) and the page (./page_entry.ts); and the trainer process, which gets its
// port from main on process.parentPort (./trainer_side.ts).
import type { GpuAdapterRecord } from '../backend/webgpu.ts';

/** The IPC channel main sends a trainer's port on, to the GPU host window's preload. */
export const GPU_PORT_CHANNEL = 'fieldwork:gpu-port';
/** The window message the preload forwards a port into the page with. */
export const GPU_PORT_MESSAGE = 'fieldwork-gpu-port';
/** What main posts to a trainer: its port to the host (with the host's adapter when known), or why there is none. */
export type GpuHostOffer =
  | { type: 'gpu-host'; adapter?: GpuAdapterRecord }
  | { type: 'gpu-host-unavailable'; reason: string };
