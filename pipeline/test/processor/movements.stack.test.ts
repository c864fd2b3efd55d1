/**
 * Issue 5 item 4 on the real stack: the POS configured through its movements (stockdiary) and
 * ERPNext through its stock ledger (with cancellations) give the same canonical on hand as both
 * configured through their levels (stockcurrent, tabBin), on the same live workload; and replaying
 * the movements does not count them twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import path from 'node:path';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { resetCapture, seedSources } from '../../dev/demo/environment.ts';
import { checkAgainstOracle } from '../../dev/demo/oracle-check.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { loadMapping, mappingsDir } from '../../src/normalize/mapping.ts';
import { prepareCanonicalStore } from '../../src/merge/index.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { awaitWorkloads, runWorkload } from '../../dev/sample/shared/workload.ts';
import { posWorkload } from '../../dev/sample/pos/workload.ts';
import { warehouseWorkload } from '../../dev/sample/warehouse/workload.ts';
import { erpnextWorkload } from '../../dev/sample/erpnext/workload.ts';
import { quietPipeline, TEST_SAMPLE, waitForLagZero } from '../helpers/environment.ts';
import { PIPELINE_GROUP_ID } from '../../src/config/names.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
const MOVEMENTS_GROUP = 'stocksync-test-movements';
const movementsStore = { ...endpoints, canonical: { ...endpoints.canonical, database: `${endpoints.canonical.database}_movements` } };
const pipelines: RunningPipeline[] = [];

const movementMappings = () => [
  loadMapping(path.join(mappingsDir, 'variants/pos-movements.yaml')),
  loadMapping(path.join(mappingsDir, 'variants/erpnext-ledger.yaml')),
  loadMapping(path.join(mappingsDir, 'warehouse.yaml')),
];

/** Canonical rows; ERPNext's ledger holds no reservations, so its reserved is left out of the comparison. */
async function stockLevels(
  database: string,
): Promise<Array<{ sku: string; location: string; on_hand: string; reserved: string; safety_stock: string | null }>> {
  const client = new pg.Client({ ...endpoints.canonical, database });
  await client.connect();
  try {
    const res = await client.query(
      `SELECT sku, location, trim_scale(on_hand)::text AS on_hand, trim_scale(reserved)::text AS reserved, trim_scale(safety_stock)::text AS safety_stock
       FROM stock_level WHERE on_hand <> 0 OR reserved <> 0 OR safety_stock IS NOT NULL ORDER BY sku, location`,
    );
    return res.rows
      .map((r) => (r.location.endsWith(' - ABC') ? { ...r, reserved: '(ledger has none)' } : r))
      .filter((r) => !(r.location.endsWith(' - ABC') && r.on_hand === '0'));
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await resetCapture(endpoints, [PIPELINE_GROUP_ID, MOVEMENTS_GROUP]);
  await prepareCanonicalStore(movementsStore);
  const client = new pg.Client(movementsStore.canonical);
  await client.connect();
  await client.query('TRUNCATE stock_level, source_row, dimension_row, canonical_outbox, pipeline_counter');
  await client.end();
  await seedSources(TEST_SAMPLE);
  for (const file of connectorFiles()) await applyConnector(loadConnector(file));
  pipelines.push(await quietPipeline());
  pipelines.push(
    await quietPipeline({
      endpoints: movementsStore,
      groupId: MOVEMENTS_GROUP,
      serve: false,
      mappings: movementMappings(),
    }),
  );
}, 300_000);

afterAll(async () => {
  for (const p of pipelines) await p.stop();
});

describe('level and movement configurations of the POS', () => {
  it('give identical canonical stock on the same workload, equal to the oracle', { timeout: 600_000 }, async () => {
    const pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
    const erpnext = await mysql.createConnection(connectionOptions(sampleWriter('erpnext', endpoints.erpnext)));
    const warehouse = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
    await warehouse.connect();
    try {
      // Counts, not a duration: the same operations however slow the machine is (8 s when it keeps up).
      // One failing stops the other, and both have stopped before the connections close.
      const stop = new AbortController();
      const [result, erp] = await awaitWorkloads(stop, [
        runWorkload([posWorkload(pos), warehouseWorkload(warehouse)], {
          ...TEST_SAMPLE,
          rate: 40,
          count: 320,
          keepOperations: false,
          workloadSeed: 99,
          signal: stop.signal,
        }),
        runWorkload([erpnextWorkload(erpnext)], { ...TEST_SAMPLE, rate: 20, count: 160, keepOperations: false, workloadSeed: 99, signal: stop.signal }),
      ]);
      expect(result.counts['pos.sale']).toBeGreaterThan(20);
      expect(erp.counts['erp.cancel']).toBeGreaterThan(0);
    } finally {
      await pos.end();
      await erpnext.end();
      await warehouse.end();
    }
    await waitForLagZero();
    await waitForLagZero(MOVEMENTS_GROUP, 120_000, pipelines[1]!.topics);
    const fromLevels = await stockLevels(endpoints.canonical.database);
    const fromMovements = await stockLevels(movementsStore.canonical.database);
    expect(fromLevels.filter((r) => r.location.startsWith('STORE-')).length).toBeGreaterThan(100);
    expect(fromLevels.filter((r) => r.location.endsWith(' - ABC')).length).toBeGreaterThan(50);
    expect(fromMovements).toEqual(fromLevels);
    expect((await checkAgainstOracle()).mismatches).toEqual([]);
  });

  it('does not count a movement twice when its records are replayed', async () => {
    const before = await stockLevels(movementsStore.canonical.database);
    await pipelines[1]!.stop();
    const kafka = createKafkaClient(endpoints.kafkaBrokers);
    for (const topic of pipelines[1]!.topics) await kafka.resetGroupToEarliest(MOVEMENTS_GROUP, topic);
    await kafka.close();
    pipelines[1] = await quietPipeline({
      endpoints: movementsStore,
      groupId: MOVEMENTS_GROUP,
      serve: false,
      mappings: movementMappings(),
    });
    await waitForLagZero(MOVEMENTS_GROUP, 120_000, pipelines[1]!.topics);
    expect(await stockLevels(movementsStore.canonical.database)).toEqual(before);
  });
});
