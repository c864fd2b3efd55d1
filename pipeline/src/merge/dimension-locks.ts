/**
 * Merge step 1: serialize on every dimension key this batch writes or joins against (advisory
 * locks, postgres/advisory-locks.ts), so a level row and the dimension row it joins are never
 * merged by two instances at once.
 */
import { lockMergeKeys, mergeDimensionLock } from '../postgres/advisory-locks.ts';
import type { MergeContext } from './context.ts';

/** Takes the dimension key locks of the batch until the transaction ends. */
export async function lockDimensionKeys(ctx: MergeContext): Promise<void> {
  const dimLocks: string[] = ctx.dims.map((d) => mergeDimensionLock(d.source, d.dimension, d.key));
  for (const level of ctx.levels) {
    if (level.deleted) continue;
    const spec = ctx.mappingBySource.get(level.source)!.tables[level.table]!;
    if (spec.sku.lookup) dimLocks.push(mergeDimensionLock(level.source, spec.sku.lookup.dimension, level.productRef!));
    if (spec.location.lookup) dimLocks.push(mergeDimensionLock(level.source, spec.location.lookup.dimension, level.locationRef!));
  }
  await lockMergeKeys(ctx.client, dimLocks);
}
