/**
 * Applied twice, counted from what the pipeline published: every canonical version on
 * `stock.levels` names the source change that produced it (`source`, `source_position`). A source
 * change applied a second time (a redelivery the position check let through) makes a second,
 * higher version of the same (sku, location) with the same source position. A version published
 * twice (the outbox re-sent after a crash) is counted apart: it is one application delivered twice.
 */

/** The fields of a stock.levels record this needs (see bench/canonical-events.ts). */
export interface PublishedVersion {
  sku: string;
  location: string;
  version: number;
  source: string;
  sourcePosition: string;
  /** `stock_level.updated_at` of the version, ms since epoch. */
  updatedAtMs: number;
}

/** What {@link findDuplicates} found: the versions that repeat a source change, and the records that repeat a version. */
export interface Duplicates {
  /** A later version of a row produced by the same source change as an earlier one (applied twice). */
  appliedTwice: PublishedVersion[];
  /** A record of a version already published (only its second and later copies). */
  republished: PublishedVersion[];
}

/** Finds the versions applied twice and the records published twice, among every record of stock.levels (any order). */
export function findDuplicates(records: readonly PublishedVersion[]): Duplicates {
  const byRow = new Map<string, Map<number, PublishedVersion>>();
  const republished: PublishedVersion[] = [];
  for (const r of records) {
    const key = `${r.sku}\u0000${r.location}`;
    let versions = byRow.get(key);
    if (!versions) byRow.set(key, (versions = new Map()));
    if (versions.has(r.version)) republished.push(r);
    else versions.set(r.version, r);
  }
  const appliedTwice: PublishedVersion[] = [];
  for (const versions of byRow.values()) {
    const seen = new Set<string>();
    for (const v of [...versions.values()].sort((a, b) => a.version - b.version)) {
      const change = `${v.source}\u0000${v.sourcePosition}`;
      if (seen.has(change)) appliedTwice.push(v);
      seen.add(change);
    }
  }
  return { appliedTwice, republished };
}

/** How many of `versions` were written in [fromMs, toMs). */
export function countInWindow(versions: readonly PublishedVersion[], fromMs: number, toMs: number): number {
  return versions.filter((v) => v.updatedAtMs >= fromMs && v.updatedAtMs < toMs).length;
}
