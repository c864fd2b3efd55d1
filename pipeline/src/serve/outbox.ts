/**
 * Draining a transactional outbox table (`id bigserial, payload jsonb`): rows are claimed in id
 * order with `FOR UPDATE SKIP LOCKED` (so several instances may drain at once), published, and
 * deleted in the same transaction — so a row leaves the outbox only once its publication succeeded.
 * Rounds never overlap; a failed round backs off (up to 5 s) and retries, the rows staying put.
 * Used for canonical changes (serve/publisher.ts) and channel notifications (channels/notify.ts).
 */
import type pg from 'pg';
import { withTransaction } from '../postgres/transaction.ts';

export interface OutboxDrainer {
  /** Asks for a round now (e.g. after a commit that queued rows). */
  kick(): void;
  /** Drains until the outbox is empty; throws if a round fails. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface OutboxOptions<Payload, Published> {
  pool: pg.Pool;
  /** The outbox table (a trusted identifier from our own code, never user input). */
  table: string;
  /** Rows claimed per round (default 500). */
  batchSize?: number;
  /** Publishes the claimed payloads, in id order; throwing leaves them in the outbox. */
  publish(payloads: Payload[]): Promise<Published>;
  /** Called after the round's transaction committed, with what `publish` returned. */
  onPublished?(published: Published): void;
  onError?(error: Error): void;
}

export function createOutboxDrainer<Payload, Published>(options: OutboxOptions<Payload, Published>): OutboxDrainer {
  const batchSize = options.batchSize ?? 500;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;

  /** One round: claim, publish, delete. Returns how many rows it published. */
  async function round(): Promise<number> {
    const outcome = await withTransaction(options.pool, async (client) => {
      const claimed = await client.query<{ id: string; payload: Payload }>(
        `SELECT id::text, payload FROM ${options.table} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (claimed.rows.length === 0) return null;
      const published = await options.publish(claimed.rows.map((r) => r.payload));
      await client.query(`DELETE FROM ${options.table} WHERE id = ANY($1::bigint[])`, [claimed.rows.map((r) => r.id)]);
      return { count: claimed.rows.length, published };
    });
    if (!outcome) return 0;
    options.onPublished?.(outcome.published);
    return outcome.count;
  }

  async function loop(): Promise<void> {
    do {
      again = false;
      while (!stopped && (await round()) > 0) failures = 0;
    } while (again && !stopped);
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = loop()
      .catch((error: Error) => {
        failures++;
        options.onError?.(error);
        clearTimeout(retryTimer);
        retryTimer = setTimeout(kick, Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      })
      .finally(() => {
        running = undefined;
      });
  }

  return {
    kick,
    async drain() {
      for (;;) {
        if (running) await running;
        if ((await round()) === 0) return;
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await running;
    },
  };
}
