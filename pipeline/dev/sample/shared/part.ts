/**
 * A lane's part of a source's products, for workloads that run several lanes of one source at
 * once (the load generator: several connections per source). Products are dealt out by rank
 * (rank i goes to part i mod count), so every part gets hot and cold products alike, and each
 * source row (POS stockcurrent, Odoo quant, ERPNext Bin and its ledger) is written by one part
 * only: concurrent lanes never race on a row, never deadlock on one, and never insert the same
 * stockcurrent row twice.
 */

/** Part `index` of `count` (0 <= index < count). */
export interface LanePart {
  index: number;
  count: number;
}

/**
 * The elements of `byRank` (ordered by rank) that belong to `part`, in rank order; all of them
 * when `part` is omitted.
 *
 * @throws Error when the part is not 0 <= index < count, or leaves no element.
 */
export function partOf<T>(byRank: readonly T[], part?: LanePart): T[] {
  if (!part) return [...byRank];
  const { index, count } = part;
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 0 && index < count)) {
    throw new Error(`partOf: part must satisfy 0 <= index < count (integers), got ${index} of ${count}`);
  }
  const mine = byRank.filter((_, rank) => rank % count === index);
  if (mine.length === 0) throw new Error(`partOf: part ${index} of ${count} holds none of the ${byRank.length} products`);
  return mine;
}
