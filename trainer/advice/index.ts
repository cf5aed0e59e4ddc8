// Advice: pure functions (no tfjs) that turn dataset statistics and training history into plain-language,
// evidence-backed guidance grounded in "Rethinking ImageNet Pre-training" (He, Girshick & Dollár, 2019).
export * from './paper.ts';
export * from './dataset_check.ts';
export * from './overfitting.ts';
export * from './learning_curve.ts';
