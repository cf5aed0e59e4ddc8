// COCO JSON as files hold it (cocodataset.org/#format-data), and COCO results as detectors write them.
// Types only: the project store, the trainer, the evaluator and the renderer all read and write these shapes.

/** Uncompressed RLE (counts as numbers) as some tools write it for iscrowd regions. */
export interface CocoRleUncompressed {
  size: [number, number];
  counts: number[];
}

/** COCO RLE. `counts` is the compressed string form (pycocotools' LEB128-like encoding); column-major runs. */
export interface CocoRleCompressed {
  size: [height: number, width: number];
  counts: string;
}

/** The project's name for COCO's compressed RLE (brush masks, predicted masks): the same type. */
export type Rle = CocoRleCompressed;

export type CocoSegmentation = number[][] | CocoRleCompressed | CocoRleUncompressed;

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  [extra: string]: unknown;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  area: number;
  iscrowd: 0 | 1;
  segmentation?: CocoSegmentation;
  [extra: string]: unknown;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
  [extra: string]: unknown;
}

export interface CocoDataset {
  info?: Record<string, unknown>;
  licenses?: unknown[];
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** One detection in a COCO results file (loadRes format). `segmentation` present for segm results. */
export interface CocoResult {
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
  segmentation?: CocoRleCompressed;
}
