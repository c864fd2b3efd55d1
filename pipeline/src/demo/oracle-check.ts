/**
 * Invariant 1 check: at quiescence the canonical table equals what an independent SQL oracle
 * computes straight from the source databases (`sample/oracle.ts`, no pipeline code involved).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { stackEndpoints, type StackEndpoints } from '../config.ts';
import { diffStock, posOracle, warehouseOracle, type OracleRow, type StockMismatch } from '../sample/oracle.ts';
import { normalizeDecimal } from '../normalize/decimal.ts';

export interface OracleReport {
  expectedRows: number;
  canonicalRows: number;
  mismatches: StockMismatch[];
  /** Mismatch count per source (by the location's source). */
  bySource: { pos: number; warehouse: number };
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

/** Compares the canonical table with the oracle over both sample sources. */
export async function checkAgainstOracle(endpoints: StackEndpoints = stackEndpoints()): Promise<OracleReport> {
  const pos = await mysql.createConnection(endpoints.pos);
  const warehouse = new pg.Client(endpoints.warehouse);
  await warehouse.connect();
  try {
    const expectedPos = await posOracle(pos);
    const expectedWarehouse = await warehouseOracle(warehouse);
    const actual = await canonicalRows(endpoints);
    const posLocations = new Set(expectedPos.map((r) => r.location));
    const isPos = (location: string) => posLocations.has(location) || location.startsWith('STORE-');
    const mismatches = diffStock([...expectedPos, ...expectedWarehouse], actual);
    return {
      expectedRows: expectedPos.length + expectedWarehouse.length,
      canonicalRows: actual.length,
      mismatches,
      bySource: {
        pos: mismatches.filter((m) => isPos(m.location)).length,
        warehouse: mismatches.filter((m) => !isPos(m.location)).length,
      },
    };
  } finally {
    await pos.end();
    await warehouse.end();
  }
}
