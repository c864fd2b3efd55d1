/**
 * Merge step 1: lock every dimension key this batch writes (exclusive) or joins against (shared)
 * (advisory locks, postgres/advisory-locks.ts), so a level row and the dimension row it joins are
 * never merged by two instances at once, while batches that only join never wait on each other.
 * The locks are taken in the same round trip as BEGIN.
 */
import { mergeDimensionLock, mergeLockStatement, type MergeLock } from '../postgres/advisory-locks.ts';
import type { MergeContext } from './context.ts';

/** The statement taking the batch's dimension key locks (null when there are none), to run with BEGIN. */
export function dimensionLockStatement(ctx: MergeContext): string | null {
  const locks: MergeLock[] = ctx.dims.map((d) => mergeDimensionLock(d.source, d.dimension, d.key, 'exclusive'));
  for (const level of ctx.levels) {
    if (level.deleted) continue;
    const spec = ctx.mappingBySource.get(level.source)!.tables[level.table]!;
    if (spec.sku.lookup) locks.push(mergeDimensionLock(level.source, spec.sku.lookup.dimension, level.productRef!, 'shared'));
    if (spec.location.lookup) locks.push(mergeDimensionLock(level.source, spec.location.lookup.dimension, level.locationRef!, 'shared'));
  }
  return mergeLockStatement('dimension', locks);
}
