/**
 * Channel notifications: rows of `channel_notification_outbox` are appended to the channel's Redis
 * stream `stocksync:channel:<name>` (XADD, capped at about 100 000 entries) and deleted once Redis
 * acknowledged them. Rounds never overlap; a failure backs off and retries (rows stay in the
 * outbox). Several instances may flush at once: rows are claimed with FOR UPDATE SKIP LOCKED.
 *
 * Stream entry fields (strings): sku, quantity, previous ('' when unknown), version, committed_at_ms.
 */
import type pg from 'pg';
import type { Redis } from 'ioredis';
import { channelStream } from './config.ts';
import type { ChannelNotification } from './state.ts';

/** Approximate maximum length of each channel stream (XADD MAXLEN ~). */
export const STREAM_MAX_LENGTH = 100_000;

export interface Notifier {
  kick(): void;
  /** Flushes until the outbox is empty (or fails). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export function createNotifier(options: { pool: pg.Pool; redis: Redis; onError?: (error: Error) => void; batchSize?: number }): Notifier {
  const batchSize = options.batchSize ?? 500;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;

  async function round(): Promise<number> {
    const client = await options.pool.connect();
    try {
      await client.query('BEGIN');
      const claimed = await client.query<{ id: string; payload: ChannelNotification }>(
        'SELECT id::text, payload FROM channel_notification_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [batchSize],
      );
      if (claimed.rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const multi = options.redis.multi();
      for (const { payload: n } of claimed.rows) {
        multi.xadd(
          channelStream(n.channel), 'MAXLEN', '~', String(STREAM_MAX_LENGTH), '*',
          'sku', n.sku, 'quantity', String(n.quantity), 'previous', n.previous === null ? '' : String(n.previous),
          'version', String(n.version), 'committed_at_ms', String(n.committedAtMs),
        );
      }
      const replies = await multi.exec();
      const failed = replies?.find(([error]) => error);
      if (!replies || failed) throw failed?.[0] ?? new Error('Redis MULTI aborted');
      await client.query('DELETE FROM channel_notification_outbox WHERE id = ANY($1::bigint[])', [claimed.rows.map((r) => r.id)]);
      await client.query('COMMIT');
      return claimed.rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
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
