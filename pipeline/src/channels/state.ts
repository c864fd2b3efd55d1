/**
 * The channel stage's own tables in the canonical store (created here, not by the merge
 * migrations, so the stage can be added to a running installation):
 *
 * - `channel_mirror(channel, sku, quantity, version, pending)`: what was last written to each
 *   channel table, so a computation that does not change the channel-visible quantity costs no
 *   request to the (rate-limited) channel. A row is marked `pending` before its channel write and
 *   cleared after it: a pending row is "unknown", and the next computation writes again (the
 *   channel's versioned upsert makes that harmless).
 * - `channel_notification_outbox`: one row per channel quantity change, written once the channel
 *   write succeeded, then added to the channel's Redis stream and deleted (a Redis outage delays
 *   notifications, it does not drop them).
 */
import type pg from 'pg';
import { lockChannelStateSetup } from '../postgres/advisory-locks.ts';
import { withTransaction } from '../postgres/transaction.ts';

/** Creates the channel stage's tables if missing (safe from several instances at once). */
export async function prepareChannelState(pool: pg.Pool): Promise<void> {
  await withTransaction(pool, async (client) => {
    await lockChannelStateSetup(client);
    await client.query(`
      CREATE TABLE IF NOT EXISTS channel_mirror (
        channel     text        NOT NULL,
        sku         text        NOT NULL,
        quantity    bigint      NOT NULL,
        version     bigint      NOT NULL,
        pending     boolean     NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (channel, sku)
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS channel_notification_outbox (
        id          bigserial   PRIMARY KEY,
        channel     text        NOT NULL,
        payload     jsonb       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
  });
}

/** A channel quantity change as notified on `stocksync:channel:<name>` (all stream fields are strings). */
export interface ChannelNotification {
  channel: string;
  sku: string;
  quantity: number;
  /** The quantity the channel showed before, or null when unknown (first write, or after a failed write). */
  previous: number | null;
  version: number;
  /** Wall time when the channel database write returned, ms since epoch. */
  committedAtMs: number;
}
