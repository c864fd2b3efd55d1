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
 *                          (before BEGIN: only changes of the same row, in this partition, write them)
 *   1. dimension-locks.ts  lock the dimension keys the batch writes (exclusive) or joins against
 *                          (shared), with BEGIN
 *   2. dimension-rows.ts   upsert dimension rows, newer positions only
 *   2b. truncates.ts       apply truncates of dimension tables (delete-rows policy)
 *   3. stored-rows.ts      read the stored source rows of the batch and those joined to changed
 *                          dimension rows (locked); the position check
 *   4. rows-to-resolve.ts  collect the rows to (re-)resolve
 *   5. resolve-rows.ts     resolve them against the dimension rows (mapped, parked, ...)
 *   6. source-rows.ts      write the source rows with their resolutions, each once, and lock the
 *                          canonical keys to recompute
 *   6b. truncates.ts       apply truncates of level tables
 *   7. canonical-rows.ts   recompute the touched canonical stock_level rows
 *   7b. outbox-rows.ts     queue the canonical changes for the serve stage, and add to the durable
 *                          counters (counters.ts), in the statement that writes the canonical rows
 *
 * Every step is one set-based statement (or none, when it has nothing to do), whatever the batch
 * size: at most 9 round trips per batch, BEGIN and COMMIT included (7 with no dimension row and no
 * truncate).
 */
import type pg from 'pg';
import pRetry from 'p-retry';
import type { NormalizedChange } from '../normalize/index.ts';
import type { SourceMapping } from '../normalize/index.ts';
import { withTransaction } from '../postgres/transaction.ts';
import { createMergeContext, type MergeContext, type MergeResult } from './context.ts';
import { dimensionLockStatement } from './dimension-locks.ts';
import { completePartialImages } from './partial-images.ts';
import { writeDimensionRows } from './dimension-rows.ts';
import { applyDimensionTruncates, applyLevelTruncates } from './truncates.ts';
import { readStoredRows } from './stored-rows.ts';
import { collectRowsToResolve } from './rows-to-resolve.ts';
import { resolveRows } from './resolve-rows.ts';
import { writeSourceRows } from './source-rows.ts';
import { recomputeCanonicalRows } from './canonical-rows.ts';

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
        const ctx = createMergeContext(client, changes, mappings);
        await completePartialImages(ctx);
        const result = await withTransaction(
          client,
          async () => {
            const merged = await mergeInTransaction(ctx);
            await beforeCommit?.(merged);
            return merged;
          },
          { begin: dimensionLockStatement(ctx) },
        );
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

/** The merge steps after step 1, in order, inside the transaction. */
async function mergeInTransaction(ctx: MergeContext): Promise<MergeResult> {
  await writeDimensionRows(ctx);
  await applyDimensionTruncates(ctx);
  await readStoredRows(ctx);
  collectRowsToResolve(ctx);
  await resolveRows(ctx);
  await writeSourceRows(ctx);
  await applyLevelTruncates(ctx);
  await recomputeCanonicalRows(ctx);
  return ctx.result;
}
