/**
 * The alert stage's own tables in the canonical store (created here, like the channel stage's):
 *
 * - `alert_key_state(sku, location)`: per canonical key, the last version and on hand seen, its
 *   recent changes of on hand (the anomaly window), its sales velocity (units/day) and the number of
 *   decreases seen, and whether a stockout risk is raised;
 * - `alert_low_stock(channel, sku)`: whether low stock is raised (raised once, cleared once);
 * - `demand_signal(sku, channel, kind)`: demand signals counted (back-in-stock requests, out-of-stock
 *   views), which rank stockout-risk alerts;
 * - `alert_outbox`: alerts to publish (Kafka `stock.alerts`, Redis stream, webhook), written in the
 *   transaction that decided them.
 */
import type pg from 'pg';
import { lockAlertStateSetup } from '../postgres/advisory-locks.ts';
import { withTransaction } from '../postgres/transaction.ts';

/** Creates the alert tables if missing (safe from several instances at once). */
export async function prepareAlertState(pool: pg.Pool): Promise<void> {
  await withTransaction(pool, async (client) => {
    await lockAlertStateSetup(client);
    await client.query(`
      CREATE TABLE IF NOT EXISTS alert_key_state (
        sku              text        NOT NULL,
        location         text        NOT NULL,
        version          bigint      NOT NULL,
        on_hand          numeric     NOT NULL,
        changes          jsonb       NOT NULL DEFAULT '[]',
        velocity         double precision NOT NULL DEFAULT 0,
        sales            integer     NOT NULL DEFAULT 0,
        at_ms            bigint      NOT NULL,
        stockout_raised  boolean     NOT NULL DEFAULT false,
        PRIMARY KEY (sku, location)
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS alert_low_stock (
        channel     text        NOT NULL,
        sku         text        NOT NULL,
        raised      boolean     NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (channel, sku)
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS demand_signal (
        sku         text        NOT NULL,
        channel     text        NOT NULL,
        kind        text        NOT NULL,
        signals     bigint      NOT NULL,
        last_at_ms  bigint      NOT NULL,
        PRIMARY KEY (sku, channel, kind)
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS alert_outbox (
        id          bigserial   PRIMARY KEY,
        payload     jsonb       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
  });
}
