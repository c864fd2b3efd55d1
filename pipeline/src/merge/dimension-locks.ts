/**
 * Merge step 1: serialize on every dimension key this batch writes or joins against (advisory
 * locks, postgres/advisory-locks.ts), so a level row and the dimension row it joins are never
 * merged by two instances at once. The locks are taken in the same round trip as BEGIN.
 */
import { mergeDimensionLock, mergeLockStatement } from '../postgres/advisory-locks.ts';
import type { MergeContext } from './context.ts';

/** The statement taking the batch's dimension key locks (null when there are none), to run with BEGIN. */
export function dimensionLockStatement(ctx: MergeContext): string | null {
  const names: string[] = ctx.dims.map((d) => mergeDimensionLock(d.source, d.dimension, d.key));
  for (const level of ctx.levels) {
    if (level.deleted) continue;
    const spec = ctx.mappingBySource.get(level.source)!.tables[level.table]!;
    if (spec.sku.lookup) names.push(mergeDimensionLock(level.source, spec.sku.lookup.dimension, level.productRef!));
    if (spec.location.lookup) names.push(mergeDimensionLock(level.source, spec.location.lookup.dimension, level.locationRef!));
  }
  return mergeLockStatement('dimension', names);
}
