/**
 * The channel oracle (docs/design.md invariant 1, issue 6 item 4): at quiescence every channel table
 * equals the channel rules applied to the canonical table. Expected quantities are computed here in
 * one SQL query over `stock_level` per channel — independently of the TypeScript rules the writer
 * uses (rules.ts) — and compared with the channel tables read back from the channel databases.
 */
import pg from 'pg';
import { stackEndpoints, type DatabaseEndpoint, type StackEndpoints } from '../config/endpoints.ts';
import { channelEndpoint, loadChannelsConfig, type ChannelRule, type ChannelsConfig } from './config.ts';
import { createChannelStore } from './stores.ts';

export interface ChannelMismatch {
  channel: string;
  sku: string;
  /** missing: no channel row; unexpected: a row for a SKU with no stock at the channel's locations;
   *  quantity: different quantity; version-ahead: the row's version is above the canonical sum. */
  kind: 'missing' | 'unexpected' | 'quantity' | 'version-ahead';
  expected: { quantity: number; version: number } | null;
  actual: { quantity: number; version: number } | null;
}

export interface ChannelReport {
  channel: string;
  expectedRows: number;
  channelRows: number;
  mismatches: ChannelMismatch[];
}

export interface ChannelsOracleReport {
  channels: ChannelReport[];
  /** All channels' mismatches together (0 is the only pass). */
  mismatches: ChannelMismatch[];
}

/** A location pattern (`*` = any run) as a LIKE pattern. */
function likePattern(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

/**
 * Expected (sku -> quantity, version) for one channel, computed in SQL:
 * floor, LEAST and GREATEST over NUMERIC, the percent buffer as div(floor(total * (100 - p)), 100)
 * (floor(x / 100) = floor(floor(x) / 100)), floor(min(a, cap)) as min(floor(a), floor(cap)).
 */
export async function expectedChannelRows(canonical: pg.ClientBase, rule: ChannelRule): Promise<Map<string, { quantity: number; version: number }>> {
  const byLocation = Object.entries(rule.safetyStock.byLocation);
  const units = rule.buffer && 'units' in rule.buffer ? rule.buffer.units : null;
  const percent = rule.buffer && 'percent' in rule.buffer ? rule.buffer.percent : null;
  const res = await canonical.query<{ sku: string; quantity: string; version: string }>(
    `WITH rows AS (
       SELECT s.sku, s.version,
              s.on_hand - s.reserved
                - CASE WHEN $2::boolean AND s.safety_stock IS NOT NULL THEN s.safety_stock
                       ELSE COALESCE(bl.safety, $3::numeric) END AS free
       FROM stock_level s
       LEFT JOIN unnest($4::text[], $5::numeric[]) AS bl(location, safety) ON bl.location = s.location
       WHERE s.location LIKE ANY ($1::text[])
     ), per_sku AS (
       SELECT sku, sum(GREATEST(free, 0)) AS total, sum(version) AS version FROM rows GROUP BY sku
     ), buffered AS (
       SELECT sku, version,
              CASE WHEN $6::numeric IS NOT NULL THEN floor(total - $6::numeric)
                   WHEN $7::numeric IS NOT NULL THEN div(floor(total * (100 - $7::numeric)), 100)
                   ELSE floor(total) END AS units
       FROM per_sku
     )
     SELECT sku, GREATEST(0, CASE WHEN $8::numeric IS NULL THEN units ELSE LEAST(units, floor($8::numeric)) END)::text AS quantity,
            version::text
     FROM buffered`,
    [
      rule.locations.map(likePattern),
      rule.safetyStock.fromSource,
      rule.safetyStock.default,
      byLocation.map(([l]) => l),
      byLocation.map(([, v]) => v),
      units,
      percent,
      rule.cap,
    ],
  );
  return new Map(res.rows.map((r) => [r.sku, { quantity: Number(r.quantity), version: Number(r.version) }]));
}

export interface CheckChannelsOptions {
  endpoints?: StackEndpoints;
  config?: ChannelsConfig;
  /** Only these channels (default all). */
  channels?: string[];
  endpointOverrides?: Record<string, Partial<DatabaseEndpoint>>;
}

/** Compares every channel table with the rules applied to the canonical table. */
export async function checkChannels(options: CheckChannelsOptions = {}): Promise<ChannelsOracleReport> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const config = options.config ?? loadChannelsConfig();
  const rules = config.channels.filter((c) => !options.channels || options.channels.includes(c.name));
  const canonical = new pg.Client(endpoints.canonical);
  await canonical.connect();
  const reports: ChannelReport[] = [];
  try {
    for (const rule of rules) {
      const expected = await expectedChannelRows(canonical, rule);
      const store = createChannelStore(rule, { ...channelEndpoint(rule.store, endpoints), ...options.endpointOverrides?.[rule.name] }, { rateLimited: false });
      let actualRows;
      try {
        await store.ensureSchema();
        actualRows = await store.readAll();
      } finally {
        await store.close();
      }
      const actual = new Map(actualRows.map((r) => [r.sku, { quantity: r.quantity, version: r.version }]));
      const mismatches: ChannelMismatch[] = [];
      for (const [sku, e] of expected) {
        const a = actual.get(sku);
        if (!a) mismatches.push({ channel: rule.name, sku, kind: 'missing', expected: e, actual: null });
        else if (a.quantity !== e.quantity) mismatches.push({ channel: rule.name, sku, kind: 'quantity', expected: e, actual: a });
        else if (a.version > e.version) mismatches.push({ channel: rule.name, sku, kind: 'version-ahead', expected: e, actual: a });
      }
      for (const [sku, a] of actual) {
        if (!expected.has(sku)) mismatches.push({ channel: rule.name, sku, kind: 'unexpected', expected: null, actual: a });
      }
      mismatches.sort((x, y) => (x.sku < y.sku ? -1 : x.sku > y.sku ? 1 : 0));
      reports.push({ channel: rule.name, expectedRows: expected.size, channelRows: actual.size, mismatches });
    }
  } finally {
    await canonical.end();
  }
  return { channels: reports, mismatches: reports.flatMap((r) => r.mismatches) };
}
