/**
 * A clean sample environment for the demo and the end-to-end tests: connectors removed with their
 * source offsets, the warehouse replication slot dropped, CDC and canonical topics deleted, the
 * pipeline's consumer group and canonical tables emptied, Redis keys removed, and both sample sources
 * seeded again — so applying the connectors takes a fresh snapshot of known data.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';
import pRetry from 'p-retry';
import { connectionOptions, stackEndpoints, type StackEndpoints } from '../../src/config/endpoints.ts';
import { connectorFiles, deleteConnectorAndOffsets, loadConnector } from '../../src/connectors/apply.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { loadMappings } from '../../src/normalize/index.ts';
import { prepareCanonicalStore } from '../../src/merge/index.ts';
import { createPosSchema } from '../sample/pos/schema.ts';
import { createWarehouseSchema } from '../sample/warehouse/schema.ts';
import { seedPos, type PosSeedCounts } from '../sample/pos/seed.ts';
import { seedWarehouse, type WarehouseSeedCounts } from '../sample/warehouse/seed.ts';
import type { SampleOptions } from '../sample/shared/model.ts';
import { openErpnext } from '../sample/erpnext/schema.ts';
import { sampleWriters } from '../stack/accounts.ts';
import { seedErpnext, type ErpnextSeedCounts } from '../sample/erpnext/seed.ts';
import { DEAD_LETTER_TOPIC, PIPELINE_GROUP_ID, REDIS_KEY_PREFIX, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';

export interface SeededEnvironment {
  pos: PosSeedCounts;
  warehouse: WarehouseSeedCounts;
  erpnext: ErpnextSeedCounts;
}

/** Removes connectors (with offsets), the replication slot, topics, the group and canonical data. */
export async function resetCapture(endpoints: StackEndpoints = stackEndpoints(), groupIds: string[] = [PIPELINE_GROUP_ID]): Promise<void> {
  const connectors = connectorFiles().map((file) => loadConnector(file));
  for (const connector of connectors) await deleteConnectorAndOffsets(connector.name);

  const slots = connectors.map((c) => c.config['slot.name']).filter((s): s is string => Boolean(s));
  if (slots.length > 0) {
    const warehouse = new pg.Client(endpoints.warehouse);
    await warehouse.connect();
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const active = await warehouse.query('SELECT slot_name, active FROM pg_replication_slots WHERE slot_name = ANY($1)', [slots]);
        if (active.rows.every((r: { active: boolean }) => !r.active)) {
          for (const r of active.rows as Array<{ slot_name: string }>) await warehouse.query('SELECT pg_drop_replication_slot($1)', [r.slot_name]);
          break;
        }
        if (Date.now() > deadline) throw new Error(`replication slots still active: ${slots.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await warehouse.end();
    }
  }

  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-reset' });
  try {
    const prefixes = loadMappings().map((m) => m.topic_prefix.split('.')[0]!);
    const topics = (await kafka.listTopics()).filter(
      (t) => prefixes.some((p) => t === p || t.startsWith(`${p}.`) || t === `__debezium-heartbeat.${p}`) || t === STOCK_LEVELS_TOPIC || t === DEAD_LETTER_TOPIC,
    );
    // A member killed a moment ago stays in its group until its session times out (20 s).
    await pRetry(() => kafka.deleteGroups(groupIds), { retries: 15, minTimeout: 1000, maxTimeout: 2000 }).catch((error: Error) => {
      throw new Error(
        `cannot reset: consumer group ${groupIds.join(', ')} still has active members after 30 s — stop every \`stocksync run\` using it first (${error.message})`,
      );
    });
    await kafka.deleteTopics(topics);
  } finally {
    await kafka.close();
  }

  await emptyCanonicalStore(endpoints);

  const redis = new Redis(endpoints.redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Creates the canonical store if missing and empties its tables (stock levels, source and dimension rows, outbox, counters). */
export async function emptyCanonicalStore(endpoints: StackEndpoints = stackEndpoints()): Promise<void> {
  await prepareCanonicalStore(endpoints);
  const canonical = new pg.Client(endpoints.canonical);
  await canonical.connect();
  try {
    await canonical.query('TRUNCATE stock_level, source_row, dimension_row, canonical_outbox, pipeline_counter');
  } finally {
    await canonical.end();
  }
}

/** Creates the sample schemas and seeds the three sources (deterministic for a seed). */
export async function seedSources(options: SampleOptions, connectorEndpoints: StackEndpoints = stackEndpoints()): Promise<SeededEnvironment> {
  // The sample application's accounts write the sources; the connector users may only read them.
  const endpoints = sampleWriters(connectorEndpoints);
  const pos = await mysql.createConnection(connectionOptions(endpoints.pos));
  const warehouse = new pg.Client(endpoints.warehouse);
  await warehouse.connect();
  const erpnext = await openErpnext(endpoints.erpnext);
  try {
    await createPosSchema(pos);
    await createWarehouseSchema(warehouse);
    return {
      pos: await seedPos(pos, options),
      warehouse: await seedWarehouse(warehouse, options),
      erpnext: await seedErpnext(erpnext, options),
    };
  } finally {
    await pos.end();
    await warehouse.end();
    await erpnext.end();
  }
}
