// Preload of the GPU host window (electron/main/gpu-host.ts; bundled to CommonJS as
// dist/electron/gpu-host-preload.cjs). Sandboxed and context-isolated: it exposes nothing to the page. It
// only forwards each port main sends into the page (./gpu-host-forward.ts) — with contextIsolation the
// page cannot see ipcRenderer.
import { ipcRenderer } from 'electron';
import { forwardGpuPorts, type PortIpcLike } from './gpu-host-forward.ts';

forwardGpuPorts(ipcRenderer as unknown as PortIpcLike, window);
