/**
 * Invariant 1 check: at quiescence the canonical table equals what an independent SQL oracle
 * computes straight from the source databases (`sample/oracle.ts`, no pipeline code involved).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { stackEndpoints, type StackEndpoints } from '../../src/config/endpoints.ts';
import { diffStock, posOracle, warehouseOracle, type OracleRow, type StockMismatch } from '../sample/shared/oracle.ts';
import { erpnextOracle } from '../sample/erpnext/oracle.ts';
import { erpnextEndpoint } from '../sample/erpnext/schema.ts';
import { normalizeDecimal } from '../../src/decimal/index.ts';

/** The sample sources, by mapping source name. */
export type SampleSourceName = 'pos' | 'warehouse' | 'erpnext';

export interface OracleReport {
  expectedRows: number;
  canonicalRows: number;
  mismatches: StockMismatch[];
  /** Mismatch count per source (the source the location belongs to). */
  bySource: Record<SampleSourceName, number>;
}

/** Reads the canonical table as oracle rows. */
export async function canonicalRows(endpoints: StackEndpoints = stackEndpoints()): Promise<OracleRow[]> {
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    const res = await client.query<{ sku: string; location: string; on_hand: string; reserved: string }>(
      'SELECT sku, location, on_hand::text, reserved::text FROM stock_level ORDER BY sku, location',
    );
    return res.rows.map((r) => ({ sku: r.sku, location: r.location, onHand: normalizeDecimal(r.on_hand), reserved: normalizeDecimal(r.reserved) }));
  } finally {
    await client.end();
  }
}

/** Compares the canonical table with the oracle over the three sample sources. */
export async function checkAgainstOracle(endpoints: StackEndpoints = stackEndpoints()): Promise<OracleReport> {
  const pos = await mysql.createConnection(endpoints.pos);
  const erpnext = await mysql.createConnection(erpnextEndpoint(endpoints));
  const warehouse = new pg.Client(endpoints.warehouse);
  await warehouse.connect();
  try {
    const expected: Record<SampleSourceName, OracleRow[]> = {
      pos: await posOracle(pos),
      warehouse: await warehouseOracle(warehouse),
      erpnext: await erpnextOracle(erpnext),
    };
    const actual = await canonicalRows(endpoints);
    const sourceOf = new Map<string, SampleSourceName>();
    for (const [source, rows] of Object.entries(expected) as Array<[SampleSourceName, OracleRow[]]>) {
      for (const row of rows) sourceOf.set(row.location, source);
    }
    const mismatches = diffStock([...expected.pos, ...expected.warehouse, ...expected.erpnext], actual);
    const count = (source: SampleSourceName) => mismatches.filter((m) => sourceOf.get(m.location) === source).length;
    return {
      expectedRows: expected.pos.length + expected.warehouse.length + expected.erpnext.length,
      canonicalRows: actual.length,
      mismatches,
      // A mismatch at a location no oracle knows counts for no source; it is still in `mismatches`.
      bySource: { pos: count('pos'), warehouse: count('warehouse'), erpnext: count('erpnext') },
    };
  } finally {
    await pos.end();
    await erpnext.end();
    await warehouse.end();
  }
}
