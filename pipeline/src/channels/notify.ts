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
import type { ChannelNotification } from './state.ts';
import { createOutboxDrainer, type OutboxDrainer } from '../serve/index.ts';
import { channelStream } from '../config/names.ts';

/** Approximate maximum length of each channel stream (XADD MAXLEN ~). */
export const STREAM_MAX_LENGTH = 100_000;

/** Notification rounds: `kick()` after a channel commit; `drain()` flushes until the outbox is empty. */
export type Notifier = OutboxDrainer;

export function createNotifier(options: { pool: pg.Pool; redis: Redis; onError?: (error: Error) => void; batchSize?: number }): Notifier {
  return createOutboxDrainer<ChannelNotification, void>({
    pool: options.pool,
    table: 'channel_notification_outbox',
    batchSize: options.batchSize,
    onError: options.onError,
    async publish(notifications) {
      const multi = options.redis.multi();
      for (const n of notifications) {
        multi.xadd(
          channelStream(n.channel),
          'MAXLEN',
          '~',
          String(STREAM_MAX_LENGTH),
          '*',
          'sku',
          n.sku,
          'quantity',
          String(n.quantity),
          'previous',
          n.previous === null ? '' : String(n.previous),
          'version',
          String(n.version),
          'committed_at_ms',
          String(n.committedAtMs),
        );
      }
      const replies = await multi.exec();
      const failed = replies?.find(([error]) => error);
      if (!replies || failed) throw failed?.[0] ?? new Error('Redis MULTI aborted');
    },
  });
}
