/**
 * Reconciles the channel tables against the channel rules applied to the canonical table (the
 * channel oracle, `channels/oracle.ts`, as `stocksync channels oracle` runs it). A mismatch counts
 * only when it is still there, the same, once the channels have caught up: the outbox empty, every
 * channel group without lag on `stock.levels`, and no channel write pending in the mirror.
 *
 * Repair, through the normal path (what `channels resync` does for a whole channel, for the SKUs at
 * fault only): their mirror rows are marked pending (so the channel stage writes them whatever it
 * wrote last) and their canonical rows are queued in the outbox again at their current versions
 * (`republishCanonical`) and published; each channel recomputes the SKUs and writes them with its
 * versioned upsert.
 */
import type pg from 'pg';
import { Redis } from 'ioredis';
import { checkChannels, loadChannelsConfig, type ChannelMismatch } from '../channels/index.ts';
import type { StackEndpoints } from '../config/endpoints.ts';
import { channelGroupId, STOCK_LEVELS_TOPIC } from '../config/names.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { groupLag } from '../kafka/group-lag.ts';
import { republishCanonical } from '../merge/index.ts';
import { createSchemaRegistry } from '../registry/registry.ts';
import { createOutboxPublisher } from '../serve/index.ts';
import { withTransaction } from '../postgres/transaction.ts';

/** What reconciling one channel found and did. */
export interface ChannelReconcile {
  channel: string;
  expectedRows: number;
  channelRows: number;
  differences: ChannelMismatch[];
  /** Mismatches that changed between the two checks (in flight). */
  unsettled: number;
  /** Mismatches a republish cannot repair (sku → why). */
  notRepairable: Record<string, string>;
  /** SKUs republished for the repair. */
  republished: string[];
  /** SKUs found agreeing again after the repair. */
  repaired: string[];
}

export interface ChannelReconcileOptions {
  endpoints: StackEndpoints;
  canonical: pg.ClientBase;
  pool: pg.Pool;
  kafka: KafkaClient;
  channels?: string[];
  repair: boolean;
  settleTimeoutMs: number;
  repairTimeoutMs: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const id = (m: ChannelMismatch) => `${m.channel}\u001f${m.sku}`;

/** Waits until the outbox is empty, the channel groups have no lag and nothing is pending; false on timeout. */
async function channelsSettled(options: ChannelReconcileOptions, channels: string[]): Promise<boolean> {
  const deadline = Date.now() + options.settleTimeoutMs;
  for (;;) {
    const outbox = await options.canonical.query<{ n: string }>('SELECT count(*)::text AS n FROM canonical_outbox');
    const pending = await options.canonical
      .query<{ n: string }>('SELECT count(*)::text AS n FROM channel_mirror WHERE pending AND channel = ANY($1::text[])', [channels])
      .catch(() => ({ rows: [{ n: '0' }] }));
    let lag = 0;
    for (const channel of channels) lag += await groupLag(options.kafka, channelGroupId(channel), [STOCK_LEVELS_TOPIC]);
    if (outbox.rows[0]!.n === '0' && pending.rows[0]!.n === '0' && lag === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(500);
  }
}

/** Mismatches found by two oracle runs around a wait for the channels to settle, and the same in both. */
async function confirmedMismatches(options: ChannelReconcileOptions, channels: string[]) {
  const first = await checkChannels({ endpoints: options.endpoints, channels });
  if (first.mismatches.length === 0) return { report: first, confirmed: [] as ChannelMismatch[], unsettled: 0 };
  await channelsSettled(options, channels);
  const second = await checkChannels({ endpoints: options.endpoints, channels });
  const before = new Map(first.mismatches.map((m) => [id(m), JSON.stringify(m)]));
  const confirmed = second.mismatches.filter((m) => before.get(id(m)) === JSON.stringify(m));
  return { report: second, confirmed, unsettled: second.mismatches.length - confirmed.length };
}

/**
 * Reconciles every configured channel (or `options.channels`).
 * @throws Error when the canonical store, a channel database, Kafka, Redis or the registry cannot be reached.
 */
export async function reconcileChannels(options: ChannelReconcileOptions): Promise<ChannelReconcile[]> {
  const channels = loadChannelsConfig()
    .channels.map((c) => c.name)
    .filter((c) => !options.channels || options.channels.includes(c));
  const { report, confirmed, unsettled } = await confirmedMismatches(options, channels);
  const results: ChannelReconcile[] = report.channels.map((c) => ({
    channel: c.channel,
    expectedRows: c.expectedRows,
    channelRows: c.channelRows,
    differences: confirmed.filter((m) => m.channel === c.channel),
    unsettled: c.mismatches.length - confirmed.filter((m) => m.channel === c.channel).length,
    notRepairable: {},
    republished: [],
    repaired: [],
  }));
  void unsettled;
  for (const r of results)
    options.log(`channel ${r.channel}: ${r.channelRows} rows, ${r.differences.length} difference(s)${r.unsettled ? `, ${r.unsettled} unsettled` : ''}`);
  if (!options.repair || confirmed.length === 0) return results;

  for (const r of results) {
    for (const m of r.differences) {
      if (m.kind === 'version-ahead')
        r.notRepairable[m.sku] = 'the channel row has a higher version than the canonical rows: a versioned upsert never lowers it (docs/channels.md)';
      else if (m.kind === 'unexpected') r.notRepairable[m.sku] = 'no canonical row at the channel’s locations to recompute from';
    }
    r.republished = r.differences.filter((m) => !(m.sku in r.notRepairable)).map((m) => m.sku);
  }
  const skus = [...new Set(results.flatMap((r) => r.republished))];
  if (skus.length === 0) return results;
  await withTransaction(options.pool, async (client) => {
    for (const r of results) {
      if (r.republished.length > 0) {
        await client.query('UPDATE channel_mirror SET pending = true WHERE channel = $1 AND sku = ANY($2::text[])', [r.channel, r.republished]);
      }
    }
    await republishCanonical(client, skus);
  });
  // Publish now rather than at the pipeline's next merge (several drainers are safe: SKIP LOCKED).
  const redis = new Redis(options.endpoints.redisUrl, { maxRetriesPerRequest: 2 });
  try {
    const publisher = createOutboxPublisher({ pool: options.pool, redis, kafka: options.kafka, registry: createSchemaRegistry(options.endpoints.registryUrl) });
    await publisher.drain();
    await publisher.stop();
  } finally {
    redis.disconnect();
  }
  options.log(`channels: republished ${skus.length} SKU(s) through the outbox`);
  if (options.repairTimeoutMs > 0) {
    const deadline = Date.now() + options.repairTimeoutMs;
    for (;;) {
      await channelsSettled({ ...options, settleTimeoutMs: Math.max(1000, deadline - Date.now()) }, channels);
      const after = await checkChannels({ endpoints: options.endpoints, channels });
      const left = new Set(after.mismatches.map(id));
      for (const r of results) r.repaired = r.republished.filter((sku) => !left.has(`${r.channel}\u001f${sku}`));
      if (results.every((r) => r.repaired.length === r.republished.length) || Date.now() > deadline) break;
      await sleep(1000);
    }
  }
  return results;
}
