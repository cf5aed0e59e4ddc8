// The run config values that move together with the training scale: an edited scale on the Train screen
// sets all of them (electron/services/train_scale.ts fits them to the typed side), and resetting it drops them.
export const TRAIN_SCALE_PATHS = ['input.testShortSide', 'input.trainShortSides', 'input.maxSize', 'rpn.anchorSizes', 'roi.canonicalSize'] as const;
