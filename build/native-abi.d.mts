export interface AddonCheck {
  ok: boolean;
  found: number[];
  message: string;
}
export declare const REQUIRED_ADDONS: string[];
export declare const SKIP_ENV: string;
export declare function readNodeModuleVersions(bytes: Uint8Array): number[];
export declare function isNapiAddon(bytes: Uint8Array): boolean;
export declare function describeAbi(abi: number): string;
export declare function electronAbi(electronVersion: string, projectDir?: string): number;
export declare function checkAddonAbi(bytes: Uint8Array, expectedAbi: number, name?: string): AddonCheck;
export declare function checkPackedAddons(resourcesDir: string, expectedAbi: number): { ok: boolean; results: (AddonCheck & { file: string })[] };
export interface AfterPackContextLike {
  appOutDir: string;
  packager: { config: { electronVersion?: string }; projectDir?: string; info?: { framework?: { version?: string } }; getResourcesDir(appOutDir: string): string };
}
export declare function afterPackAbiGuard(
  context: AfterPackContextLike,
  options?: { env?: Record<string, string | undefined>; log?: (message: string) => void },
): Promise<{ ok: boolean; results: (AddonCheck & { file: string })[] }>;
