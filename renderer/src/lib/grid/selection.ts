// Grid multi-select as file managers do it: Ctrl/Cmd-click toggles one image, Shift-click selects the range
// from the last clicked image (the anchor) in the order shown, select-all takes every image the filter shows.
// Pure functions over ids, so the rules are unit-tested without a browser.

export interface Selection {
  ids: ReadonlySet<number>;
  anchor: number | null;
}

export const emptySelection: Selection = { ids: new Set(), anchor: null };

export function toggle(sel: Selection, id: number): Selection {
  const ids = new Set(sel.ids);
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { ids, anchor: id };
}

/** Adds the images between the anchor and `id` (inclusive) in `order`; without an anchor, just `id`. */
export function extendTo(sel: Selection, id: number, order: readonly number[]): Selection {
  const from = sel.anchor === null ? -1 : order.indexOf(sel.anchor);
  const to = order.indexOf(id);
  if (to < 0) return sel;
  if (from < 0) return { ids: new Set([...sel.ids, id]), anchor: id };
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  return { ids: new Set([...sel.ids, ...order.slice(lo, hi + 1)]), anchor: sel.anchor };
}

export function selectAll(order: readonly number[]): Selection {
  return { ids: new Set(order), anchor: order[0] ?? null };
}

/** Drops ids the grid no longer shows (a filter changed, images were deleted). */
export function keepVisible(sel: Selection, order: readonly number[]): Selection {
  const shown = new Set(order);
  const ids = new Set([...sel.ids].filter((id) => shown.has(id)));
  return { ids, anchor: sel.anchor !== null && shown.has(sel.anchor) ? sel.anchor : null };
}
