// Which run settings differ between two runs, from their config.json files: every leaf value, dotted path,
// the ones users choose first (length, input scale, preset, augmentation) at the top.

export interface ConfigDifference {
  key: string;
  a: unknown;
  b: unknown;
}

const FIRST = ['preset', 'solver.epochs', 'input.trainShortSides', 'input.testShortSide', 'augment'];

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
}

const rank = (key: string) => {
  const i = FIRST.findIndex((f) => key === f || key.startsWith(`${f}.`));
  return i < 0 ? FIRST.length : i;
};

export function configDifferences(a: unknown, b: unknown): ConfigDifference[] {
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  flatten(a ?? {}, '', fa);
  flatten(b ?? {}, '', fb);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])];
  return keys
    .filter((k) => JSON.stringify(fa.get(k)) !== JSON.stringify(fb.get(k)))
    .sort((x, y) => rank(x) - rank(y) || x.localeCompare(y))
    .map((key) => ({ key, a: fa.get(key) ?? null, b: fb.get(key) ?? null }));
}
