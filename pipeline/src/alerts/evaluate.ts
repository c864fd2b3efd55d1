/**
 * Decides the alerts of a set of canonical keys that changed, in one transaction: reads their
 * `stock_level` rows and alert state, applies the rules (detect.ts) and writes the new state and
 * the alerts (outbox) — so an alert is raised once and cleared once, whatever is replayed.
 *
 * Like the channels stage, it reads only the keys of `stock.levels` and takes the values from the
 * canonical table, so a replayed or out-of-order record cannot move anything backwards: a key is
 * looked at only when its canonical version is above the one its state has seen.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { availableToSell, type CanonicalRow, type ChannelsConfig } from '../channels/index.ts';
import { formatNormalized, parseDecimal, subtractDecimal } from '../decimal/index.ts';
import { lockAlertSkus } from '../postgres/advisory-locks.ts';
import type { StockAlert } from './alert.ts';
import { anomalyOf, daysOfCover, lowStockThreshold, velocityAfter } from './detect.ts';

interface KeyState {
  sku: string;
  location: string;
  version: string;
  on_hand: string;
  changes: number[];
  velocity: number;
  sales: number;
  at_ms: string;
  stockout_raised: boolean;
}

interface LevelRow {
  sku: string;
  location: string;
  on_hand: string;
  reserved: string;
  safety_stock: string | null;
  version: string;
  at_ms: string;
}

const round = (x: number, digits = 2) => String(Math.round(x * 10 ** digits) / 10 ** digits);
/** Rounded down, so a cover just under the threshold never reads as the threshold itself. */
const floor2 = (x: number) => String(Math.floor(x * 100) / 100);

/**
 * Evaluates the keys (sku, location) and queues the alerts they raise or clear.
 * @returns the alerts queued (already in `alert_outbox` when the caller's transaction commits).
 */
export async function evaluateKeys(client: pg.ClientBase, config: ChannelsConfig, keys: Array<{ sku: string; location: string }>): Promise<StockAlert[]> {
  if (keys.length === 0) return [];
  const now = Date.now();
  const skus = [...new Set(keys.map((k) => k.sku))].sort();
  await lockAlertSkus(client, skus);
  const levels = await client.query<LevelRow>(
    `SELECT sku, location, on_hand::text, reserved::text, safety_stock::text, version::text,
            COALESCE(source_ts_ms, (extract(epoch FROM updated_at) * 1000)::bigint)::text AS at_ms
     FROM stock_level WHERE sku = ANY($1::text[]) ORDER BY sku, location`,
    [skus],
  );
  const wanted = new Set(keys.map((k) => `${k.sku}\u001f${k.location}`));
  const touched = levels.rows.filter((r) => wanted.has(`${r.sku}\u001f${r.location}`));
  const states = await client.query<KeyState>(
    `SELECT sku, location, version::text, on_hand::text, changes, velocity, sales, at_ms::text, stockout_raised FROM alert_key_state
     WHERE (sku, location) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY sku, location FOR UPDATE`,
    [touched.map((r) => r.sku), touched.map((r) => r.location)],
  );
  const stateOf = new Map(states.rows.map((s) => [`${s.sku}\u001f${s.location}`, s]));
  const alerts: StockAlert[] = [];
  const alert = (a: Omit<StockAlert, 'id' | 'at_ms' | 'demand'>) => alerts.push({ id: crypto.randomUUID(), at_ms: now, demand: 0, ...a });
  const { anomaly, stockout } = config.alerts;
  const updates: KeyState[] = [];
  for (const row of touched) {
    const state = stateOf.get(`${row.sku}\u001f${row.location}`);
    const onHand = Number(row.on_hand);
    const atMs = Number(row.at_ms);
    if (!state) {
      // First sight: a baseline, no alert (nothing to compare with).
      updates.push({
        sku: row.sku,
        location: row.location,
        version: row.version,
        on_hand: row.on_hand,
        changes: [],
        velocity: 0,
        sales: 0,
        at_ms: row.at_ms,
        stockout_raised: false,
      });
      continue;
    }
    if (BigInt(row.version) <= BigInt(state.version)) continue;
    // Exact, then a number: 12.5 − 14.5 is −2, not −1.9999999999999982.
    const change = Number(formatNormalized(subtractDecimal(parseDecimal(row.on_hand), parseDecimal(state.on_hand))));
    const next: KeyState = { ...state, version: row.version, on_hand: row.on_hand, at_ms: String(Math.max(atMs, Number(state.at_ms))) };
    if (change !== 0) {
      const found = anomalyOf(change, state.changes, anomaly);
      if (found) {
        alert({
          kind: 'anomaly',
          sku: row.sku,
          location: row.location,
          channel: null,
          value: formatNormalized(subtractDecimal(parseDecimal(row.on_hand), parseDecimal(state.on_hand))),
          threshold: round(found.limit),
          reason: `${row.sku} @ ${row.location}: ${found.reason}`,
          version: Number(row.version),
        });
      }
      next.changes = [...state.changes, change].slice(-anomaly.window);
      // An anomalous decrease is not a sale: it would make the velocity (and stockout risk) jump.
      if (change < 0 && !found) {
        next.velocity = velocityAfter(state.velocity, atMs - Number(state.at_ms), -change, stockout.halfLifeHours);
        next.sales = state.sales + 1;
      }
    }
    const available = onHand - Number(row.reserved);
    const cover = daysOfCover(available, next.velocity);
    if (!state.stockout_raised && next.sales >= stockout.minSales && cover < stockout.coverDays) {
      next.stockout_raised = true;
      alert({
        kind: 'stockout_risk',
        sku: row.sku,
        location: row.location,
        channel: null,
        value: floor2(cover),
        threshold: String(stockout.coverDays),
        reason: `${row.sku} @ ${row.location}: ${available} available at ${round(next.velocity)} units/day (exponentially weighted over ${next.sales} sales, half-life ${stockout.halfLifeHours} h) covers ${floor2(cover)} days, under ${stockout.coverDays}`,
        version: Number(row.version),
      });
    } else if (state.stockout_raised && cover >= stockout.coverDays) {
      next.stockout_raised = false;
      alert({
        kind: 'stockout_risk_cleared',
        sku: row.sku,
        location: row.location,
        channel: null,
        value: Number.isFinite(cover) ? round(cover) : 'inf',
        threshold: String(stockout.coverDays),
        reason: `${row.sku} @ ${row.location}: ${available} available covers ${Number.isFinite(cover) ? round(cover) : 'unlimited'} days again`,
        version: Number(row.version),
      });
    }
    updates.push(next);
  }
  if (updates.length > 0) {
    await client.query(
      `INSERT INTO alert_key_state (sku, location, version, on_hand, changes, velocity, sales, at_ms, stockout_raised)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[], $5::jsonb[], $6::float8[], $7::int[], $8::bigint[], $9::bool[])
       ON CONFLICT (sku, location) DO UPDATE SET version = EXCLUDED.version, on_hand = EXCLUDED.on_hand, changes = EXCLUDED.changes,
         velocity = EXCLUDED.velocity, sales = EXCLUDED.sales, at_ms = EXCLUDED.at_ms, stockout_raised = EXCLUDED.stockout_raised`,
      [
        updates.map((u) => u.sku),
        updates.map((u) => u.location),
        updates.map((u) => u.version),
        updates.map((u) => u.on_hand),
        updates.map((u) => JSON.stringify(u.changes)),
        updates.map((u) => u.velocity),
        updates.map((u) => u.sales),
        updates.map((u) => u.at_ms),
        updates.map((u) => u.stockout_raised),
      ],
    );
  }
  await addDemand(client, alerts);
  alerts.push(...(await evaluateLowStock(client, config, skus, levels.rows, now)));
  if (alerts.length > 0) {
    await client.query('INSERT INTO alert_outbox (payload) SELECT * FROM unnest($1::jsonb[])', [alerts.map((a) => JSON.stringify(a))]);
  }
  return alerts;
}

/** Low stock per channel for the SKUs: available to sell (the channels' own function) against each threshold. */
async function evaluateLowStock(client: pg.ClientBase, config: ChannelsConfig, skus: string[], levels: LevelRow[], now: number): Promise<StockAlert[]> {
  const checks: Array<{ channel: string; sku: string; quantity: number; version: number; threshold: string }> = [];
  for (const rule of config.channels) {
    for (const sku of skus) {
      const threshold = lowStockThreshold(rule, sku);
      if (threshold === null) continue;
      const rows: CanonicalRow[] = levels
        .filter((r) => r.sku === sku)
        .map((r) => ({ sku, location: r.location, onHand: r.on_hand, reserved: r.reserved, safetyStock: r.safety_stock, version: Number(r.version) }));
      const view = availableToSell(rule, sku, rows);
      checks.push({ channel: rule.name, sku, quantity: view?.quantity ?? 0, version: view?.version ?? 0, threshold });
    }
  }
  if (checks.length === 0) return [];
  const raised = await client.query<{ channel: string; sku: string; raised: boolean }>(
    `SELECT channel, sku, raised FROM alert_low_stock WHERE (channel, sku) IN (SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE`,
    [checks.map((c) => c.channel), checks.map((c) => c.sku)],
  );
  const was = new Map(raised.rows.map((r) => [`${r.channel}\u001f${r.sku}`, r.raised]));
  const alerts: StockAlert[] = [];
  const changed: Array<{ channel: string; sku: string; raised: boolean }> = [];
  for (const c of checks) {
    const low = c.quantity <= Number(c.threshold);
    const before = was.get(`${c.channel}\u001f${c.sku}`) ?? false;
    if (low === before) continue;
    changed.push({ channel: c.channel, sku: c.sku, raised: low });
    alerts.push({
      id: crypto.randomUUID(),
      kind: low ? 'low_stock' : 'low_stock_cleared',
      sku: c.sku,
      location: null,
      channel: c.channel,
      value: String(c.quantity),
      threshold: c.threshold,
      reason: low
        ? `${c.sku} on ${c.channel}: ${c.quantity} available to sell, at or below the low stock threshold ${c.threshold}`
        : `${c.sku} on ${c.channel}: ${c.quantity} available to sell, above the low stock threshold ${c.threshold} again`,
      version: c.version,
      at_ms: now,
      demand: 0,
    });
  }
  if (changed.length > 0) {
    await client.query(
      `INSERT INTO alert_low_stock (channel, sku, raised) SELECT * FROM unnest($1::text[], $2::text[], $3::bool[])
       ON CONFLICT (channel, sku) DO UPDATE SET raised = EXCLUDED.raised, updated_at = clock_timestamp()`,
      [changed.map((c) => c.channel), changed.map((c) => c.sku), changed.map((c) => c.raised)],
    );
  }
  return alerts;
}

/** Fills the demand count of stockout-risk alerts (signals for the SKU on every channel) and says it in the reason. */
async function addDemand(client: pg.ClientBase, alerts: StockAlert[]): Promise<void> {
  const risks = alerts.filter((a) => a.kind === 'stockout_risk');
  if (risks.length === 0) return;
  const res = await client.query<{ sku: string; n: string }>(
    'SELECT sku, sum(signals)::text AS n FROM demand_signal WHERE sku = ANY($1::text[]) GROUP BY sku',
    [[...new Set(risks.map((a) => a.sku))]],
  );
  const demand = new Map(res.rows.map((r) => [r.sku, Number(r.n)]));
  for (const a of risks) {
    a.demand = demand.get(a.sku) ?? 0;
    if (a.demand > 0) a.reason += `; ${a.demand} demand signal(s) from the channels`;
  }
}
