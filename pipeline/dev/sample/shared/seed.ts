/**
 * What the POS and warehouse seeders share: the fixed reference date of the seeded history and how
 * much stock a product holds at its popularity. (ERPNext seeds its own history, dated 2026.)
 */
import type { CatalogProduct } from './model.ts';
import { zipfWeight, type Rng } from './prng.ts';

/** Fixed reference date (2025-01-01 UTC, ms), so seeded timestamps do not depend on when the seeder runs. */
export const SEED_BASE_MS = Date.UTC(2025, 0, 1);
/** One day in ms. */
export const DAY_MS = 86_400_000;

/** Units on hand for a product at its popularity position (0 = best seller). */
export function initialUnits(rng: Rng, popularity: number): number {
  return 2 + rng.int(0, 10) + Math.floor(400 * zipfWeight(popularity));
}

/** Map from catalogue index to position in a popularity ordering. */
export function popularityPositions(byRank: readonly CatalogProduct[]): Map<number, number> {
  return new Map(byRank.map((p, i) => [p.index, i]));
}
