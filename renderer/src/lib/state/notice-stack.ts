/** At most this many notices show at once; a new one pushes out the oldest. */
export const MAX_NOTICES = 3;

export function pushNotice<T>(list: readonly T[], notice: T, max = MAX_NOTICES): T[] {
  return [...list.slice(Math.max(0, list.length - (max - 1))), notice];
}
