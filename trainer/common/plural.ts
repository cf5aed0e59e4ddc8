// Counts in user-facing text: "1 image", "2 images", "0 classes". English only (the app's one language);
// Intl.PluralRules picks the form, so a second language would only add its words.
const rules = new Intl.PluralRules('en');

/** The plural of an English noun: class → classes, batch → batches, epoch → epochs, category → categories. */
function pluralOf(word: string): string {
  if (/(s|x|z|sh|[^o]ch)$/.test(word)) return word + 'es';
  if (/[^aeiou]y$/.test(word)) return word.slice(0, -1) + 'ies';
  return word + 's';
}

/** The word alone, in the form `n` takes: `pluralWord(1, 'image')` → "image", `pluralWord(3, 'image')` → "images". */
export function pluralWord(n: number, singular: string, pluralForm: string = pluralOf(singular)): string {
  return rules.select(n) === 'one' ? singular : pluralForm;
}

/** The count and the word: `plural(1, 'image')` → "1 image", `plural(2, 'class')` → "2 classes". */
export function plural(n: number, singular: string, pluralForm?: string): string {
  return `${n} ${pluralWord(n, singular, pluralForm)}`;
}
