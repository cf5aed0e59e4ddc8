// The verdict in words, shared by the app's report screen and the CLI (one wording, one AP unit).
import { apWithInterval, type OverfittingVerdict, type Verdict } from './verdict.ts';

export const VERDICT_WORDS: Record<Verdict | 'none', string> = {
  not_learned: 'Inconclusive: not learned yet',
  still_learning: 'Still learning: train longer before judging',
  too_small: 'Too small to avoid overfitting',
  borderline: 'Borderline',
  enough: 'Enough data',
  none: 'No verdict',
};

export const verdictWords = (v: Verdict | null | undefined): string => VERDICT_WORDS[v ?? 'none'] ?? String(v);

/** "val box AP 12.3 % (95 % interval 8.1–16.0 %) on 30 val images, 48 instances", or '' without an evaluation. */
export function verdictApLine(v: Pick<OverfittingVerdict, 'finalValAP' | 'basis'>): string {
  if (!v.finalValAP) return '';
  const { ap, lo, hi } = v.finalValAP;
  const ci = lo !== null && hi !== null ? ([lo, hi] as [number, number]) : null;
  const { valImages, valInstances } = v.basis;
  const on = valImages !== null ? ` on ${valImages} val image${valImages === 1 ? '' : 's'}${valInstances !== null ? `, ${valInstances} instance${valInstances === 1 ? '' : 's'}` : ''}` : '';
  return `last val AP ${apWithInterval(ap, ci)}${on}`;
}

/** The CLI's verdict line: `verdict: not_learned (Inconclusive: not learned yet); last val AP 0.0 % (…) on 30 val images`. */
export function verdictLine(v: Pick<OverfittingVerdict, 'verdict' | 'finalValAP' | 'basis'>): string {
  const ap = verdictApLine(v);
  return `verdict: ${v.verdict ?? 'none'} (${verdictWords(v.verdict)})${ap ? `; ${ap}` : ''}`;
}
