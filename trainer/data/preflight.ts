// Checks a run's snapshot and config before any compute is spent: each problem is a sentence that
// says what is wrong and what to change. The app and the CLI refuse to create a run that has any,
// so nothing is written to the run list for a run that cannot start.
import type { CocoDataset, CocoImage } from '../common/coco.ts';
import type { RunConfig } from '../common/config.ts';
import { quantile } from './data_aware.ts';

/** Upsampling the median train image more than this is refused (no detail to gain, 4× the cost). */
export const MAX_UPSCALE = 2;

export function preflightProblems(ds: CocoDataset, c: RunConfig): string[] {
  const problems: string[] = [];
  const split = (img: CocoImage) => (img.split as string | undefined) ?? 'train';
  const train = ds.images.filter((i) => split(i) === 'train');
  const splitOf = new Map(ds.images.map((i) => [i.id, split(i)]));
  if (train.length === 0) {
    problems.push('No labelled images in the train split: label some images (or assign splits) first.');
    return problems;
  }
  const trainAnns = ds.annotations.filter((a) => splitOf.get(a.image_id) === 'train');
  if (trainAnns.length === 0) problems.push(`None of the ${train.length} train images has a label: the model would learn only background. Label objects in train images first.`);

  const perClass = new Map<number, { train: number; val: number }>();
  for (const a of ds.annotations) {
    const s = splitOf.get(a.image_id);
    const n = perClass.get(a.category_id) ?? { train: 0, val: 0 };
    if (s === 'train') n.train++;
    else if (s === 'val') n.val++;
    perClass.set(a.category_id, n);
  }
  for (const cat of ds.categories) {
    const n = perClass.get(cat.id);
    if (n && n.train === 0 && n.val > 0) {
      problems.push(`Class "${cat.name}" has labels only in val (${n.val} object${n.val === 1 ? '' : 's'}): the model cannot learn it. Label it in train images or move some of its images to train.`);
    }
  }

  const shortSides = train.map((i) => Math.min(i.width, i.height));
  const median = quantile(shortSides, 0.5);
  const scale = Math.max(c.input.testShortSide, ...c.input.trainShortSides);
  if (scale > MAX_UPSCALE * median) {
    problems.push(
      `The train images are ${Math.round(median)} px on their short side (median), far smaller than the training scale of ${scale} px ` +
      `(${(scale / median).toFixed(1)}× upsampled): set input.testShortSide and input.trainShortSides to at most ${Math.floor(median)}.`,
    );
  }
  return problems;
}
