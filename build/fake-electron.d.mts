export declare const FUSE_SENTINEL: string;
export declare const ELECTRON_DEFAULT_FUSES: string;
export declare const LINUX_X64_FILES: string[];
export declare function makeFakeElectronDist(dir: string, version: string): string;
