// The annotator's image list: fixed when the user opens an image from the grid, so that labelling an image
// out of the grid's status filter (unlabelled → in progress) neither loses its place nor skips a neighbour.

/** The id `delta` steps from `current` in `ids`, or null past either end (or when `current` is not there). */
export function stepIn(ids: readonly number[], current: number, delta: number): number | null {
  const at = ids.indexOf(current);
  if (at < 0) return null;
  return ids[at + delta] ?? null;
}

/** "3 / 12", or '' for an image outside the list. */
export function positionIn(ids: readonly number[], current: number): string {
  const at = ids.indexOf(current);
  return at >= 0 ? `${at + 1} / ${ids.length}` : '';
}
