/**
 * "Caught up" for a chaos run (docs/operations.md "Caught up"): every connector of the shipped
 * mappings RUNNING and read up to its source's current position (`sourceCaughtUp`), the pipeline's
 * group and every channel's group without lag, and the canonical and channel outboxes empty. Each
 * check is bounded in time: while a part is down, it answers "not yet" with the reason.
 */
import pg from 'pg';
import type { StackEndpoints } from '../../src/config/endpoints.ts';
import { channelGroupId, PIPELINE_GROUP_ID, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { sourceCaughtUp } from '../../src/connectors/caught-up.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import { loadMappings, topicRoles } from '../../src/normalize/index.ts';

/** The answer: caught up, or why not. */
export interface CatchUpState {
  caughtUp: boolean;
  reason: string;
}

/** Rejects after `ms` with `what` in the message. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** Rows waiting in the canonical outbox and the channel notification outbox. */
async function outboxRows(endpoints: StackEndpoints): Promise<number> {
  const client = new pg.Client({ ...endpoints.canonical, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM canonical_outbox) + COALESCE((SELECT count(*) FROM channel_notification_outbox WHERE to_regclass('channel_notification_outbox') IS NOT NULL), 0) AS n`,
    );
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A check of the whole product's state against the sources, for one stack and one set of channels. */
export function catchUpCheck(kafka: KafkaClient, endpoints: StackEndpoints, channelNames: readonly string[]): () => Promise<CatchUpState> {
  const mappings = loadMappings();
  const topics = [...topicRoles(mappings).keys()];
  const connectors = [...new Set(mappings.map((m) => m.connector).filter((c): c is string => Boolean(c)))];
  return async () => {
    try {
      const capture = await within(Promise.all(connectors.map((c) => sourceCaughtUp(c))), 30_000, 'connector offsets');
      const behind = capture.filter((c) => !c.caughtUp);
      if (behind.length > 0) return { caughtUp: false, reason: behind.map((c) => `${c.connector}: ${c.reason}`).join('; ') };
      const lag = await within(groupLag(kafka, PIPELINE_GROUP_ID, topics), 30_000, 'pipeline lag');
      if (lag !== 0) return { caughtUp: false, reason: `pipeline lag ${lag}` };
      for (const name of channelNames) {
        const channelLag = await within(groupLag(kafka, channelGroupId(name), [STOCK_LEVELS_TOPIC]), 30_000, `${name} lag`);
        if (channelLag !== 0) return { caughtUp: false, reason: `channel ${name} lag ${channelLag}` };
      }
      const outbox = await within(outboxRows(endpoints), 30_000, 'outboxes');
      if (outbox !== 0) return { caughtUp: false, reason: `${outbox} outbox rows unpublished` };
      return { caughtUp: true, reason: 'caught up' };
    } catch (error) {
      return { caughtUp: false, reason: (error as Error).message.split('\n')[0] ?? 'error' };
    }
  };
}
