// The review's "Show" filter: which predictions the list and the canvas show, by decision and match.
// 'open' is the default view (everything not rejected); rejected predictions are found only under 'rejected'.
import type { ReviewImage, ReviewPrediction } from '../../../../electron/api.ts';

export type ReviewShow = 'open' | 'pending' | 'unverified' | 'accepted' | 'rejected';

export const REVIEW_SHOWS: { value: ReviewShow; label: string }[] = [
  { value: 'open', label: 'all but rejected' },
  { value: 'pending', label: 'to decide' },
  { value: 'unverified', label: 'unverified pre-labels' },
  { value: 'accepted', label: 'accepted' },
  { value: 'rejected', label: 'rejected' },
];

/** How many predictions of an image the filter shows (from the image's counts). */
export function countIn(image: ReviewImage, show: ReviewShow): number {
  switch (show) {
    case 'open': return image.tp + image.fp + image.unverified;
    case 'pending': return image.pending;
    case 'unverified': return image.unverified;
    case 'accepted': return image.accepted;
    case 'rejected': return image.rejected;
  }
}

/** Predictions per filter over all listed images: the numbers beside each choice. */
export function showCounts(images: ReviewImage[]): Record<ReviewShow, number> {
  const out = { open: 0, pending: 0, unverified: 0, accepted: 0, rejected: 0 } as Record<ReviewShow, number>;
  for (const image of images) for (const { value } of REVIEW_SHOWS) out[value] += countIn(image, value);
  return out;
}

/** The images the filter lists: under 'open' every image with predictions (misses count too), else those with some. */
export function imagesFor(images: ReviewImage[], show: ReviewShow): ReviewImage[] {
  return show === 'open' ? images : images.filter((i) => countIn(i, show) > 0);
}

/** The open image's predictions the filter shows. */
export function predictionsFor(result: { predictions: ReviewPrediction[]; rejected?: ReviewPrediction[] }, show: ReviewShow): ReviewPrediction[] {
  switch (show) {
    case 'open': return result.predictions;
    case 'pending': return result.predictions.filter((p) => p.status === 'pending');
    case 'unverified': return result.predictions.filter((p) => p.status === 'pending' && p.match === 'unverified');
    case 'accepted': return result.predictions.filter((p) => p.status === 'accepted');
    case 'rejected': return result.rejected ?? [];
  }
}
