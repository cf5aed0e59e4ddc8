// The run's derived seeds: every random draw of a run (data order, augmentation, sampling) comes from
// the config's seed mixed with where it is used, so any iteration can be replayed after a resume.

/** FNV-style mix of three integers into an unsigned 32-bit seed. */
export function hash(a: number, b: number, c: number): number {
  let h = 2166136261 ^ a;
  h = Math.imul(h ^ b, 16777619);
  h = Math.imul(h ^ c, 16777619);
  return (h ^ (h >>> 13)) >>> 0;
}
