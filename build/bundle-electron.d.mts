export declare const MAIN_EXTERNALS: string[];
export declare function bundleElectron(options?: { quiet?: boolean; outDir?: string }): Promise<void>;
