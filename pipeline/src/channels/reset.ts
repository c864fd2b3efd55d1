/**
 * Channel resets, for the demo, the tests and operators. Both need the channel consumers stopped
 * (Kafka refuses to delete or move the offsets of a group with active members).
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { stackEndpoints, type DatabaseEndpoint, type StackEndpoints } from '../config/endpoints.ts';
import { createKafkaClient } from '../kafka/client.ts';
import { prepareCanonicalStore } from '../merge/index.ts';
import { channelEndpoint, channelRule, loadChannelsConfig, type ChannelsConfig } from './config.ts';
import { prepareChannelState } from './state.ts';
import { createChannelStore } from './stores.ts';
import { channelGroupId, channelStream, STOCK_LEVELS_TOPIC } from '../config/names.ts';

export interface ResetOptions {
  endpoints?: StackEndpoints;
  config?: ChannelsConfig;
  endpointOverrides?: Record<string, Partial<DatabaseEndpoint>>;
}

/** Consumer group ids of every configured channel (to pass to resetCapture with the pipeline's). */
export function channelGroupIds(config: ChannelsConfig = loadChannelsConfig()): string[] {
  return config.channels.map((c) => channelGroupId(c.name));
}

/**
 * Empties every channel: deletes the channel consumer groups, the channel tables' rows, the
 * mirror and queued notifications, and the notification streams. Run it together with a canonical
 * reset (resetCapture): channel versions are sums of canonical versions, which restart at 1.
 */
export async function resetChannels(options: ResetOptions = {}): Promise<void> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const config = options.config ?? loadChannelsConfig();
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-channels-reset' });
  try {
    await kafka.deleteGroups(channelGroupIds(config));
  } finally {
    await kafka.close();
  }
  for (const rule of config.channels) {
    const store = createChannelStore(rule, { ...channelEndpoint(rule.store, endpoints), ...options.endpointOverrides?.[rule.name] }, { rateLimited: false });
    try {
      await store.truncate();
    } finally {
      await store.close();
    }
  }
  await prepareCanonicalStore(endpoints);
  const pool = new pg.Pool({ ...endpoints.canonical, max: 1 });
  try {
    await prepareChannelState(pool);
    await pool.query('TRUNCATE channel_mirror, channel_notification_outbox');
  } finally {
    await pool.end();
  }
  const redis = new Redis(endpoints.redisUrl);
  try {
    await redis.del(...config.channels.map((c) => channelStream(c.name)));
  } finally {
    redis.disconnect();
  }
}

/**
 * Rewrites one channel from scratch (e.g. after its database was restored from a backup): forgets
 * what was written (the mirror) and moves the channel's group to the start of the compacted
 * stock.levels topic, so the next `channels run` recomputes and writes every SKU. The channel's
 * rows are overwritten in place (same or higher versions), never deleted.
 */
export async function resyncChannel(name: string, options: ResetOptions = {}): Promise<void> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const config = options.config ?? loadChannelsConfig();
  channelRule(config, name);
  const pool = new pg.Pool({ ...endpoints.canonical, max: 1 });
  try {
    await prepareChannelState(pool);
    await pool.query('DELETE FROM channel_mirror WHERE channel = $1', [name]);
  } finally {
    await pool.end();
  }
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-channels-reset' });
  try {
    await kafka.resetGroupToEarliest(channelGroupId(name), STOCK_LEVELS_TOPIC);
  } finally {
    await kafka.close();
  }
}
