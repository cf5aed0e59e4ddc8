// The evidence our advice leans on: He, Girshick & Dollár, "Rethinking ImageNet Pre-training" (ICCV 2019),
// Mask R-CNN R50-FPN with GroupNorm trained from scratch vs. fine-tuned from ImageNet, COCO val2017 bbox AP,
// on subsets of COCO train2017 (and PASCAL VOC). Object counts for the COCO subsets are our estimate:
// COCO train2017 has ~860k labelled objects on ~118k images, i.e. ~7.3 objects per image, over 80 classes.

export const COCO_OBJECTS_PER_IMAGE = 860_000 / 118_000; // ≈ 7.3
export const COCO_CLASSES = 80;
/** Share of COCO objects with area < 32² (cocodataset.org detection eval: ~41 % small, 34 % medium, 24 % large). */
export const COCO_SMALL_SHARE = 0.41;

export interface LadderRung {
  id: 'coco_full' | 'coco_35k' | 'coco_10k' | 'coco_3k5' | 'coco_1k' | 'voc';
  label: string;
  images: number;
  /** Labelled objects (estimated for the COCO subsets as images × 7.3). */
  objects: number;
  /** Average objects per class (objects / classes). */
  objectsPerClass: number;
  classes: number;
  scratch: string;
  pretrained: string;
  /** What the paper concluded at this size. */
  finding: string;
  /** Did scratch training match pre-training here? */
  scratchMatches: boolean;
}

const coco = (images: number) => Math.round(images * COCO_OBJECTS_PER_IMAGE);

export const PAPER_LADDER: readonly LadderRung[] = [
  {
    id: 'coco_full',
    label: 'full COCO (118k images)',
    images: 118_000,
    objects: 860_000,
    objectsPerClass: Math.round(860_000 / COCO_CLASSES),
    classes: 80,
    scratch: '≈41 bbox AP (6× schedule)',
    pretrained: '≈41 bbox AP',
    finding: 'scratch matches pre-training given GroupNorm and a long (≈3× or more) schedule',
    scratchMatches: true,
  },
  {
    id: 'coco_35k',
    label: 'COCO subset, 35k images',
    images: 35_000,
    objects: coco(35_000),
    objectsPerClass: Math.round(coco(35_000) / COCO_CLASSES),
    classes: 80,
    scratch: '36.3 bbox AP',
    pretrained: '36.3 bbox AP',
    finding: 'scratch matches pre-training (after re-tuning: LR 0.04, scale augmentation 512–800)',
    scratchMatches: true,
  },
  {
    id: 'coco_10k',
    label: 'COCO subset, 10k images',
    images: 10_000,
    objects: coco(10_000),
    objectsPerClass: Math.round(coco(10_000) / COCO_CLASSES),
    classes: 80,
    scratch: '25.9 bbox AP',
    pretrained: '26.0 bbox AP',
    finding: 'scratch still matches pre-training',
    scratchMatches: true,
  },
  {
    id: 'coco_3k5',
    label: 'COCO subset, 3.5k images',
    images: 3_500,
    objects: coco(3_500),
    objectsPerClass: Math.round(coco(3_500) / COCO_CLASSES),
    classes: 80,
    scratch: '9.3 bbox AP',
    pretrained: '16.0 bbox AP',
    finding: 'scratch falls clearly behind pre-training',
    scratchMatches: false,
  },
  {
    id: 'coco_1k',
    label: 'COCO subset, 1k images',
    images: 1_000,
    objects: coco(1_000),
    objectsPerClass: Math.round(coco(1_000) / COCO_CLASSES),
    classes: 80,
    scratch: '3.5 bbox AP (5.4 with tuning)',
    pretrained: '9.9 bbox AP',
    finding: 'strong overfitting: training loss falls as for the big models but validation AP does not follow',
    scratchMatches: false,
  },
  {
    id: 'voc',
    label: 'PASCAL VOC (15k images, 2.3 objects/image, 20 classes)',
    images: 15_000,
    objects: Math.round(15_000 * 2.3),
    objectsPerClass: Math.round((15_000 * 2.3) / 20),
    classes: 20,
    scratch: '77.6 mAP',
    pretrained: '82.7 mAP',
    finding: 'many images but few instances per class still act like too little data',
    scratchMatches: false,
  },
];

/** The breakdown zone on COCO: between the 3.5k-image (≈25k objects) and 10k-image (≈73k objects) subsets. */
export const BREAKDOWN_LOW_OBJECTS = coco(3_500);
export const BREAKDOWN_HIGH_OBJECTS = coco(10_000);

export const rung = (id: LadderRung['id']): LadderRung => PAPER_LADDER.find((r) => r.id === id)!;
