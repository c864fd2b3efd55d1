/**
 * The load generator keeps the sources consistent at a high rate: after a step, every source's
 * SQL oracle equals its state before plus the deltas of the operations the generator reported,
 * the ERPNext Bins still equal their ledgers, and every operation names its source transaction.
 * Runs on throwaway databases of the stack's servers that no connector captures.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions, stackEndpoints, type StackEndpoints } from '../../../src/config/endpoints.ts';
import { seedSources } from '../../../dev/demo/environment.ts';
import { startLoadGenerator } from '../../../dev/load/generator.ts';
import type { LoadOperation } from '../../../dev/load/messages.ts';
import { checkErpnextConsistency } from '../../../dev/sample/erpnext/consistency.ts';
import { erpnextOracle } from '../../../dev/sample/erpnext/oracle.ts';
import { posOracle } from '../../../dev/sample/pos/oracle.ts';
import type { OracleRow } from '../../../dev/sample/shared/oracle.ts';
import { warehouseOracle } from '../../../dev/sample/warehouse/oracle.ts';
import { sumDecimals } from '../sample/databases.ts';
import { posAdmin, sampleWriter, warehouseAdmin } from '../../../dev/stack/accounts.ts';

const DATABASES = { pos: 'loadgen_test_pos', warehouse: 'loadgen_test_wms', erpnext: 'loadgen_test_erp' } as const;
const VARIABLES = { pos: 'STOCKSYNC_POS_DATABASE', warehouse: 'STOCKSYNC_WAREHOUSE_DATABASE', erpnext: 'STOCKSYNC_ERPNEXT_DATABASE' } as const;
const SAMPLE = { seed: 7, products: 600 } as const;
const saved: Record<string, string | undefined> = {};
let endpoints: StackEndpoints;

async function dropDatabases(): Promise<void> {
  const admin = await mysql.createConnection(posAdmin());
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASES.pos}`);
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASES.erpnext}`);
  } finally {
    await admin.end();
  }
  const pgAdmin = new pg.Client(warehouseAdmin());
  await pgAdmin.connect();
  try {
    await pgAdmin.query(`DROP DATABASE IF EXISTS ${DATABASES.warehouse} WITH (FORCE)`);
  } finally {
    await pgAdmin.end();
  }
}

beforeAll(async () => {
  const base = stackEndpoints();
  await dropDatabases();
  // The databases are the administrator's to create (over the servers' sockets); the sample
  // application, which seeds and loads them, gets them as it has the stack's own.
  const app = { pos: sampleWriter('pos', base.pos), warehouse: sampleWriter('warehouse', base.warehouse) };
  const admin = await mysql.createConnection(posAdmin());
  try {
    await admin.query(`CREATE DATABASE ${DATABASES.pos} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    for (const database of [DATABASES.pos, DATABASES.erpnext]) {
      await admin.query(`GRANT ALL PRIVILEGES ON ${database}.* TO ?@'127.0.0.1'`, [app.pos.user]);
    }
  } finally {
    await admin.end();
  }
  const pgAdmin = new pg.Client(warehouseAdmin());
  await pgAdmin.connect();
  await pgAdmin.query(`CREATE DATABASE ${DATABASES.warehouse} OWNER ${pgAdmin.escapeIdentifier(app.warehouse.user)}`).finally(() => pgAdmin.end());
  // The workers read their endpoints from the environment, as every stocksync process does.
  for (const [source, variable] of Object.entries(VARIABLES)) {
    saved[variable] = process.env[variable];
    process.env[variable] = DATABASES[source as keyof typeof DATABASES];
  }
  endpoints = stackEndpoints();
  await seedSources(SAMPLE, endpoints);
});

afterAll(async () => {
  for (const [variable, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[variable];
    else process.env[variable] = value;
  }
  await dropDatabases();
});

/** Every source's oracle rows (canonical keys), and the ERPNext ledger/Bin inconsistencies. */
async function sourceState(): Promise<{ rows: OracleRow[]; inconsistencies: unknown[] }> {
  const pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
  const erpnext = await mysql.createConnection(connectionOptions(sampleWriter('erpnext', endpoints.erpnext)));
  const warehouse = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await warehouse.connect();
  try {
    return {
      rows: [...(await posOracle(pos)), ...(await warehouseOracle(warehouse)), ...(await erpnextOracle(erpnext))],
      inconsistencies: await checkErpnextConsistency(erpnext),
    };
  } finally {
    await pos.end();
    await erpnext.end();
    await warehouse.end();
  }
}

/** Oracle rows by key as `onHand/reserved`, all-zero keys dropped (a deleted quant and a zero row mean the same). */
function byKey(rows: readonly OracleRow[]): Map<string, string> {
  return new Map(rows.filter((r) => r.onHand !== '0' || r.reserved !== '0').map((r) => [`${r.sku}|${r.location}`, `${r.onHand}/${r.reserved}`]));
}

/** `rows` with the operations' deltas added, exactly. */
function withDeltas(rows: readonly OracleRow[], ops: readonly LoadOperation[]): OracleRow[] {
  const keyed = new Map(rows.map((r) => [`${r.sku}|${r.location}`, { ...r }]));
  for (const op of ops) {
    for (const t of op.touched) {
      if (t.sku === null || t.location === null) continue;
      const key = `${t.sku}|${t.location}`;
      const row = keyed.get(key) ?? { sku: t.sku, location: t.location, onHand: '0', reserved: '0' };
      row.onHand = sumDecimals([row.onHand, t.onHandDelta]);
      row.reserved = sumDecimals([row.reserved, t.reservedDelta]);
      keyed.set(key, row);
    }
  }
  return [...keyed.values()];
}

describe('load generator', () => {
  it('commits exactly what it reports, at a high rate, from several processes and connections per source', async () => {
    const before = await sourceState();
    expect(before.inconsistencies).toEqual([]);
    const operations: LoadOperation[] = [];
    const generator = await startLoadGenerator({ ...SAMPLE, workers: 2, connectionsPerSource: 4, onCommit: (ops) => operations.push(...ops) });
    let result;
    try {
      result = await generator.runStep(5000, 8000);
    } finally {
      await generator.stop();
    }
    expect(operations.length).toBe(result.committed);
    expect(result.committed).toBeGreaterThan(0);
    for (const source of ['pos', 'warehouse', 'erpnext'] as const) expect(result.bySource[source]).toBeGreaterThan(0);
    // Every operation names its source transaction, and no two the same.
    expect(operations.filter((op) => op.txId === null)).toEqual([]);
    expect(new Set(operations.map((op) => `${op.source}|${op.txId}`)).size).toBe(operations.length);

    const after = await sourceState();
    expect(after.inconsistencies).toEqual([]);
    expect(byKey(after.rows)).toEqual(byKey(withDeltas(before.rows, operations)));
  });

  it('reports a source connection its server ended as the worker failing, not as a crash on an unhandled error event', async () => {
    const generator = await startLoadGenerator({ ...SAMPLE, workers: 1, connectionsPerSource: 1 });
    try {
      // What the chaos run's kill -9 of the warehouse PostgreSQL does to the worker's idle client.
      const admin = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
      await admin.connect();
      try {
        const ended = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
          DATABASES.warehouse,
        ]);
        expect(ended.rowCount).toBe(1);
      } finally {
        await admin.end();
      }
      await expect(generator.runStep(100, 60_000)).rejects.toThrow(/^load worker 0 failed: .*terminating connection due to administrator command/s);
    } finally {
      await generator.stop();
    }
  });
});
