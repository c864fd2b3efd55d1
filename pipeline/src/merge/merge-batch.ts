/**
 * Merge: writes one batch of normalized changes into the canonical store in ONE transaction —
 * dimension rows, source rows (with the position check of docs/design.md invariant 3), dimension joins,
 * and the recomputed canonical `stock_level` rows, plus an outbox row per canonical change for the
 * serve stage. Safe with several pipeline instances: keys are serialized with advisory locks taken
 * in a fixed order (dimension keys first, then canonical keys, each sorted;
 * postgres/advisory-locks.ts).
 *
 * The steps, in order, each in its own module over one `MergeContext` (context.ts):
 *   0. partial-images.ts   complete partial row images (unchanged TOAST columns) from the stored rows
 *   1. dimension-locks.ts  lock the dimension keys the batch writes or joins against
 *   2. dimension-rows.ts   upsert dimension rows, newer positions only
 *   3. source-rows.ts      upsert source rows, newer positions only (the position check)
 *   3b. truncates.ts       apply truncates (delete-rows policy)
 *   4. rows-to-resolve.ts  collect the rows to (re-)resolve
 *   5. resolve-rows.ts     resolve them against the dimension rows (mapped, parked, ...)
 *   6. canonical-rows.ts   recompute the touched canonical stock_level rows
 *   6b. outbox-rows.ts     queue the canonical changes for the serve stage
 *   7. counters.ts         add to the durable counters
 */
import type pg from 'pg';
import pRetry from 'p-retry';
import type { NormalizedChange } from '../normalize/index.ts';
import type { SourceMapping } from '../normalize/index.ts';
import { withTransaction } from '../postgres/transaction.ts';
import { createMergeContext, type MergeResult } from './context.ts';
import { completePartialImages } from './partial-images.ts';
import { lockDimensionKeys } from './dimension-locks.ts';
import { writeDimensionRows } from './dimension-rows.ts';
import { writeSourceRows } from './source-rows.ts';
import { applyTruncates } from './truncates.ts';
import { collectRowsToResolve } from './rows-to-resolve.ts';
import { resolveRows } from './resolve-rows.ts';
import { recomputeCanonicalRows } from './canonical-rows.ts';
import { writeOutboxRows } from './outbox-rows.ts';
import { addCounters } from './counters.ts';

/** Runs inside the merge transaction, before COMMIT; a throw rolls the batch back. */
export type BeforeCommit = (result: MergeResult) => Promise<void>;

/**
 * Merges a batch. Retries the whole transaction on a deadlock or serialization failure.
 * @throws the database error when the transaction fails otherwise (the caller does not commit the
 *   Kafka offsets, so the batch is re-delivered).
 */
export async function mergeBatch(pool: pg.Pool, changes: NormalizedChange[], mappings: SourceMapping[], beforeCommit?: BeforeCommit): Promise<MergeResult> {
  return pRetry(
    async () => {
      // Connected outside the try: a failure to get a connection is retried as well.
      const client = await pool.connect();
      try {
        const result = await withTransaction(client, async () => {
          const merged = await mergeInTransaction(client, changes, mappings);
          await beforeCommit?.(merged);
          return merged;
        });
        result.committedAtMs = Date.now();
        return result;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === '40P01' || code === '40001') throw error; // retried
        throw new AbortRetry(error as Error);
      } finally {
        client.release();
      }
    },
    { retries: 5, minTimeout: 20, maxTimeout: 500, shouldRetry: ({ error }) => !(error instanceof AbortRetry) },
  ).catch((error: unknown) => {
    throw error instanceof AbortRetry ? error.cause : error;
  });
}

class AbortRetry extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

/** The merge steps, in order, on a client inside a transaction. */
async function mergeInTransaction(client: pg.ClientBase, changes: NormalizedChange[], mappings: SourceMapping[]): Promise<MergeResult> {
  const ctx = createMergeContext(client, changes, mappings);
  await completePartialImages(ctx);
  await lockDimensionKeys(ctx);
  await writeDimensionRows(ctx);
  await writeSourceRows(ctx);
  await applyTruncates(ctx);
  await collectRowsToResolve(ctx);
  await resolveRows(ctx);
  await recomputeCanonicalRows(ctx);
  await writeOutboxRows(ctx);
  await addCounters(ctx);
  return ctx.result;
}
