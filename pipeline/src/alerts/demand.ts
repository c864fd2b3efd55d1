/**
 * Demand signals (issue 14 part 3): channel apps report "wanted but not available" — a
 * back-in-stock request, an out-of-stock page view — per SKU and channel, as JSON records on the
 * `stock.demand` topic (there is no HTTP API). `stocksync alerts run` counts them per (SKU, channel,
 * kind) in `demand_signal`; stockout-risk alerts carry the SKU's count and are ranked by it
 * (`stocksync alerts risks`). docs/alerts.md.
 */
import type pg from 'pg';
import { DEMAND_TOPIC } from '../config/names.ts';
import type { KafkaClient } from '../kafka/client.ts';

export const DEMAND_KINDS = ['back_in_stock_request', 'out_of_stock_view'] as const;

/** One demand signal, as channel apps write it to `stock.demand` (JSON). */
export interface DemandSignal {
  sku: string;
  channel: string;
  kind: (typeof DEMAND_KINDS)[number];
  /** When the customer asked, ms since epoch. */
  at_ms: number;
}

/** A record of `stock.demand` that is not a demand signal. */
export class DemandSignalError extends Error {}

/**
 * Parses a `stock.demand` record value.
 * @throws DemandSignalError naming what is wrong (not JSON, a missing or bad field).
 */
export function parseDemandSignal(value: Buffer | null): DemandSignal {
  if (!value) throw new DemandSignalError('empty record');
  let data: unknown;
  try {
    data = JSON.parse(value.toString('utf8'));
  } catch {
    throw new DemandSignalError('not JSON');
  }
  const o = data as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) throw new DemandSignalError('not a JSON object');
  if (typeof o.sku !== 'string' || o.sku === '') throw new DemandSignalError('sku must be a non-empty string');
  if (typeof o.channel !== 'string' || o.channel === '') throw new DemandSignalError('channel must be a non-empty string');
  if (!DEMAND_KINDS.includes(o.kind as DemandSignal['kind'])) throw new DemandSignalError(`kind must be one of ${DEMAND_KINDS.join(', ')}`);
  const at = o.at_ms === undefined ? Date.now() : o.at_ms;
  if (typeof at !== 'number' || !Number.isFinite(at)) throw new DemandSignalError('at_ms must be a number (ms since epoch)');
  return { sku: o.sku, channel: o.channel, kind: o.kind as DemandSignal['kind'], at_ms: at };
}

/** Adds signals to the counts (one statement). */
export async function recordDemand(client: pg.ClientBase, signals: DemandSignal[]): Promise<void> {
  if (signals.length === 0) return;
  const counts = new Map<string, { s: DemandSignal; n: number; last: number }>();
  for (const s of signals) {
    const id = `${s.sku}\u001f${s.channel}\u001f${s.kind}`;
    const c = counts.get(id);
    if (c) {
      c.n++;
      c.last = Math.max(c.last, s.at_ms);
    } else counts.set(id, { s, n: 1, last: s.at_ms });
  }
  const rows = [...counts.values()];
  await client.query(
    `INSERT INTO demand_signal (sku, channel, kind, signals, last_at_ms)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
     ON CONFLICT (sku, channel, kind) DO UPDATE SET signals = demand_signal.signals + EXCLUDED.signals,
       last_at_ms = GREATEST(demand_signal.last_at_ms, EXCLUDED.last_at_ms)`,
    [rows.map((r) => r.s.sku), rows.map((r) => r.s.channel), rows.map((r) => r.s.kind), rows.map((r) => r.n), rows.map((r) => r.last)],
  );
}

/** Produces one demand signal to `stock.demand` (what a channel app does; `stocksync alerts demand`). */
export async function sendDemandSignal(kafka: KafkaClient, signal: DemandSignal): Promise<void> {
  await kafka.send(DEMAND_TOPIC, [{ key: signal.sku, value: JSON.stringify(signal) }]);
}

/** A raised stockout risk, with its demand. */
export interface RankedRisk {
  sku: string;
  location: string;
  available: number;
  /** Units/day. */
  velocity: number;
  daysOfCover: number;
  demand: number;
}

/** The stockout risks raised now, most wanted first (demand signals), then least cover. */
export async function rankedStockoutRisks(client: pg.ClientBase): Promise<RankedRisk[]> {
  const res = await client.query<{ sku: string; location: string; available: string; velocity: number; demand: string }>(
    `SELECT k.sku, k.location, (s.on_hand - s.reserved)::text AS available, k.velocity, COALESCE(d.n, 0)::text AS demand
     FROM alert_key_state k
     JOIN stock_level s ON s.sku = k.sku AND s.location = k.location
     LEFT JOIN (SELECT sku, sum(signals) AS n FROM demand_signal GROUP BY sku) d ON d.sku = k.sku
     WHERE k.stockout_raised`,
  );
  return res.rows
    .map((r) => {
      const available = Number(r.available);
      return {
        sku: r.sku,
        location: r.location,
        available,
        velocity: r.velocity,
        daysOfCover: r.velocity > 0 ? Math.max(0, available) / r.velocity : Number.POSITIVE_INFINITY,
        demand: Number(r.demand),
      };
    })
    .sort((a, b) => b.demand - a.demand || a.daysOfCover - b.daysOfCover || (a.sku < b.sku ? -1 : 1));
}
