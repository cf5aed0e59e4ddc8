export declare const TRAINER_EXTERNALS: string[];
export declare const TRAINER_BUNDLE_FILES: string[];
export declare function bundleTrainer(options?: { quiet?: boolean; outDir?: string }): Promise<void>;
