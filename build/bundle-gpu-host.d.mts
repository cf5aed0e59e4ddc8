import type { BuildOptions } from 'esbuild';
export const GPU_HOST_HTML: string;
export function browserBundleOptions(entry: string): BuildOptions;
export function bundleGpuHost(options?: { outDir?: string; write?: boolean }): Promise<string>;
