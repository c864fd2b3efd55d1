/**
 * Issue 14 part 1 on the real stack, with the three sample sources:
 * - what `reconcile` expects of each source (read through the connector's connection, mapped by the
 *   pipeline's own functions) equals what the independent SQL oracles compute;
 * - on a quiet stack it finds nothing, and under a live workload it reports no false drift;
 * - drift CDC cannot see (source rows changed with the binlog off, canonical rows edited, a channel
 *   row edited) is found exactly, and `--repair` brings the oracles back to 0 through Debezium's
 *   incremental snapshot and the channel republish, recorded in the audit tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { posAdmin, sampleWriters } from '../../dev/stack/accounts.ts';

/** The sample sources' own accounts: the connector users may only read. */
const writers = sampleWriters(stackEndpoints());
import { checkAgainstOracle } from '../../dev/demo/oracle-check.ts';
import { diffStock, type OracleRow } from '../../dev/sample/shared/oracle.ts';
import { posOracle } from '../../dev/sample/pos/oracle.ts';
import { warehouseOracle } from '../../dev/sample/warehouse/oracle.ts';
import { erpnextOracle } from '../../dev/sample/erpnext/oracle.ts';
import { awaitWorkloads, runWorkload } from '../../dev/sample/shared/workload.ts';
import { posWorkload } from '../../dev/sample/pos/workload.ts';
import { warehouseWorkload } from '../../dev/sample/warehouse/workload.ts';
import { erpnextWorkload } from '../../dev/sample/erpnext/workload.ts';
import { checkChannels, resetChannels, startChannels } from '../../src/channels/index.ts';
import type { RunningChannels } from '../../src/channels/fanout.ts';
import { loadMappings } from '../../src/normalize/index.ts';
import { openSourceDatabase } from '../../src/sources/source-database.ts';
import { readExpectedStock, reconcile } from '../../src/reconcile/index.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { canonicalQuery, freshEnvironment, quietPipeline, TEST_SAMPLE, waitForLagZero } from '../helpers/environment.ts';
import pino from 'pino';

const endpoints = stackEndpoints();
let pipeline: RunningPipeline | undefined;
let channels: RunningChannels | undefined;

/** Waits until the channels have written everything the canonical store published. */
async function channelsQuiet(): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    await pipeline!.drainOutbox();
    const report = await checkChannels();
    if (report.mismatches.length === 0) return;
    if (Date.now() > deadline) throw new Error(`channels still differ: ${JSON.stringify(report.mismatches.slice(0, 5))}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  await freshEnvironment();
  await resetChannels();
  pipeline = await quietPipeline();
  channels = await startChannels({ logger: pino({ level: 'warn' }, pino.destination(2)) });
  await waitForLagZero();
  await channelsQuiet();
}, 600_000);

afterAll(async () => {
  await channels?.stop();
  await pipeline?.stop();
});

const key = (r: { sku: string; location: string }) => `${r.sku} @ ${r.location}`;

describe('stocksync reconcile on the sample sources', () => {
  it('expects of each source exactly what its independent SQL oracle computes', { timeout: 120_000 }, async () => {
    const pos = await mysql.createConnection(connectionOptions(writers.pos));
    const erp = await mysql.createConnection(connectionOptions(writers.erpnext));
    const wms = new pg.Client(writers.warehouse);
    await wms.connect();
    try {
      const oracles: Record<string, OracleRow[]> = { pos: await posOracle(pos), warehouse: await warehouseOracle(wms), erpnext: await erpnextOracle(erp) };
      for (const mapping of loadMappings()) {
        const db = await openSourceDatabase(mapping);
        try {
          const expected = await readExpectedStock(db, mapping);
          const rows: OracleRow[] = [...expected.keys.values()].map((k) => ({ sku: k.sku, location: k.location, onHand: k.onHand, reserved: k.reserved }));
          expect(rows.length, mapping.source).toBeGreaterThan(100);
          expect(diffStock(oracles[mapping.source]!, rows), mapping.source).toEqual([]);
        } finally {
          await db.close();
        }
      }
    } finally {
      await pos.end();
      await erp.end();
      await wms.end();
    }
  });

  it('finds no difference on a quiet stack, and none while the workload runs', { timeout: 600_000 }, async () => {
    const quiet = await reconcile();
    expect(quiet.differences).toBe(0);
    expect(quiet.unsettled).toBe(0);
    expect(quiet.sources.map((s) => s.source).sort()).toEqual(['erpnext', 'pos', 'warehouse']);

    const pos = await mysql.createConnection(connectionOptions(writers.pos));
    const erp = await mysql.createConnection(connectionOptions(writers.erpnext));
    const wms = new pg.Client(writers.warehouse);
    await wms.connect();
    const stop = new AbortController();
    try {
      const workloads = awaitWorkloads(stop, [
        runWorkload([posWorkload(pos), warehouseWorkload(wms), erpnextWorkload(erp)], {
          ...TEST_SAMPLE,
          rate: 30,
          count: 100_000,
          keepOperations: false,
          workloadSeed: 1414,
          signal: stop.signal,
        }),
      ]);
      // Two runs while changes are in flight: every difference a run reports would be false drift.
      const busy = [await reconcile({ channels: false }), await reconcile({ channels: false })];
      stop.abort();
      await workloads.catch(() => undefined);
      for (const run of busy) {
        // The whole difference on failure: values on both sides and the source rows behind them.
        expect(run.sources.flatMap((s) => s.differences.map((d) => ({ ...d, position: s.position })))).toEqual([]);
        expect(run.sources.reduce((n, s) => n + Object.values(s.rowsRead).reduce((a, b) => a + b, 0), 0)).toBeGreaterThan(1000);
      }
    } finally {
      stop.abort();
      await pos.end();
      await erp.end();
      await wms.end();
    }
    await waitForLagZero();
    expect((await checkAgainstOracle()).mismatches).toEqual([]);
  });

  it('finds exactly the drift CDC cannot see, and --repair brings the oracles back to 0 through the pipeline', { timeout: 600_000 }, async () => {
    await waitForLagZero();
    await channelsQuiet();
    // Drift behind the pipeline's back: source rows changed with the binlog off (MariaDB
    // sql_log_bin = 0, which takes the server's administrator: the connector never sees them), and
    // canonical rows edited by hand.
    const pos = await mysql.createConnection(posAdmin(endpoints.pos.database));
    const erp = await mysql.createConnection(posAdmin(endpoints.erpnext.database));
    const drifted: string[] = [];
    try {
      await pos.query('SET SESSION sql_log_bin = 0');
      const [[row]] = await pos.query<mysql.RowDataPacket[]>(
        `SELECT sc.location, sc.product, p.reference FROM stockcurrent sc JOIN products p ON p.id = sc.product
         WHERE sc.location = '1' AND sc.attributesetinstance_id IS NULL ORDER BY sc.product LIMIT 1`,
      );
      await pos.query('UPDATE stockcurrent SET units = units + 7 WHERE location = ? AND product = ? AND attributesetinstance_id IS NULL', [
        row!.location,
        row!.product,
      ]);
      drifted.push(`${row!.reference} @ STORE-02`);
      await erp.query('SET SESSION sql_log_bin = 0');
      const [[bin]] = await erp.query<mysql.RowDataPacket[]>(
        "SELECT b.name, b.item_code, b.warehouse FROM `tabBin` b JOIN `tabItem` i ON i.name = b.item_code WHERE i.is_stock_item = 1 AND b.warehouse = 'Stores - ABC' ORDER BY b.name LIMIT 1",
      );
      await erp.query('UPDATE `tabBin` SET actual_qty = actual_qty - 2.5 WHERE name = ?', [bin!.name]);
      drifted.push(`${bin!.item_code} @ ${bin!.warehouse}`);
    } finally {
      await pos.end();
      await erp.end();
    }
    const [edited] = await canonicalQuery<{ sku: string; location: string }>(
      `UPDATE stock_level SET on_hand = on_hand + 3
       WHERE (sku, location) = (SELECT sku, location FROM stock_level WHERE location LIKE 'WH%' AND on_hand > 0 ORDER BY sku, location LIMIT 1)
       RETURNING sku, location`,
    );
    drifted.push(key(edited!));
    // A safety stock lost in the canonical store (kind safety_stock).
    const [cleared] = await canonicalQuery<{ sku: string; location: string }>(
      `UPDATE stock_level SET safety_stock = NULL
       WHERE (sku, location) = (SELECT sku, location FROM stock_level WHERE location LIKE 'STORE-%' AND safety_stock > 0 ORDER BY sku DESC, location LIMIT 1)
       RETURNING sku, location`,
    );
    drifted.push(key(cleared!));
    drifted.sort();

    // The independent oracle (on hand and reserved) sees all but the safety stock; reconcile sees all four.
    const oracle = await checkAgainstOracle();
    expect(oracle.mismatches.map(key).sort()).toEqual(drifted.filter((k) => k !== key(cleared!)));
    const found = await reconcile({ channels: false });
    const differences = found.sources.flatMap((s) => s.differences);
    expect(differences.map(key).sort()).toEqual(drifted);
    expect(differences.find((d) => key(d) === key(cleared!))!.kind).toBe('safety_stock');
    expect(differences.find((d) => key(d) === key(edited!))!.kind).toBe('on_hand');
    expect(differences.every((d) => d.sourceRows.length > 0 && d.canonicalRows.length > 0)).toBe(true);

    const repaired = await reconcile({ channels: false, repair: true });
    expect(repaired.differences).toBe(drifted.length);
    expect(repaired.repaired).toBe(drifted.length);
    expect(repaired.sources.flatMap((s) => s.signals).length).toBe(3);
    await waitForLagZero();
    expect((await checkAgainstOracle()).mismatches).toEqual([]);
    expect((await reconcile({ channels: false })).differences).toBe(0);

    const audit = await canonicalQuery<{ scope: string; sku: string; location: string; kind: string; repair: string; repaired: boolean }>(
      'SELECT scope, sku, location, kind, repair, repaired_at IS NOT NULL AS repaired FROM reconcile_difference WHERE run_id = $1 ORDER BY sku, location',
      [repaired.runId],
    );
    expect(audit.map(key).sort()).toEqual(drifted);
    expect(audit.every((a) => a.repaired && a.repair.startsWith('debezium execute-snapshot stocksync-reconcile-'))).toBe(true);
  });

  it('finds a channel row changed behind the channels stage and repairs it through the outbox', { timeout: 300_000 }, async () => {
    await channelsQuiet();
    const webshop = await mysql.createConnection(connectionOptions(endpoints.webshop));
    let sku: string;
    try {
      const [[row]] = await webshop.query<mysql.RowDataPacket[]>('SELECT sku FROM channel_stock WHERE quantity > 0 ORDER BY sku LIMIT 1');
      sku = row!.sku as string;
      await webshop.query('UPDATE channel_stock SET quantity = quantity + 5 WHERE sku = ?', [sku]);
    } finally {
      await webshop.end();
    }
    const found = await reconcile({ sources: [], channels: true });
    expect(found.channels.flatMap((c) => c.differences.map((m) => `${m.channel} ${m.sku} ${m.kind}`))).toEqual([`webshop ${sku} quantity`]);
    const repaired = await reconcile({ sources: [], channels: true, repair: true });
    expect(repaired.channels.find((c) => c.channel === 'webshop')!.repaired).toEqual([sku]);
    expect((await checkChannels()).mismatches).toEqual([]);
  });
});
