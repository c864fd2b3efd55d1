/**
 * The merge stage's front door: callers outside the stage import from here only. The merge itself
 * is merge-batch.ts (its steps are listed there); migrations, parked-row reports and the canonical
 * Avro schemas belong to the stage too.
 */
export { mergeBatch, type BeforeCommit } from './merge-batch.ts';
export type { MergeResult } from './context.ts';
export { migrate } from './migrate.ts';
export { prepareCanonicalStore } from './canonical-store.ts';
export { republishCanonical } from './republish.ts';
export { reportOverdueParked } from './parked.ts';
export { canonicalSchemaJson, type StockLevelEvent } from './canonical-schema.ts';
