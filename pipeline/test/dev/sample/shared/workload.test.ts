import type { Connection } from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareStockKeys, type OracleRow } from '../../../../dev/sample/shared/oracle.ts';
import { posOracle } from '../../../../dev/sample/pos/oracle.ts';
import { warehouseOracle } from '../../../../dev/sample/warehouse/oracle.ts';
import { seedPos } from '../../../../dev/sample/pos/seed.ts';
import { seedWarehouse } from '../../../../dev/sample/warehouse/seed.ts';
import { runWorkload, type CommittedOperation } from '../../../../dev/sample/shared/workload.ts';
import { posWorkload } from '../../../../dev/sample/pos/workload.ts';
import { warehouseWorkload } from '../../../../dev/sample/warehouse/workload.ts';
import { dropPosDatabase, dropWarehouseDatabase, freshPosDatabase, freshWarehouseDatabase, sumDecimals } from '../databases.ts';

const POS_DB = 'sample_test_pos_wl';
const WMS_DB = 'sample_test_wms_wl';
const SAMPLE = { seed: 42, products: 300 } as const;
let pos: Connection;
let wms: pg.Client;

beforeAll(async () => {
  pos = await freshPosDatabase(POS_DB);
  wms = await freshWarehouseDatabase(WMS_DB);
});
afterAll(async () => {
  await dropPosDatabase(pos, POS_DB);
  await dropWarehouseDatabase(wms, WMS_DB);
});

/** Expected stock of both sources together, sorted by (sku, location). */
async function bothOracles(): Promise<OracleRow[]> {
  return [...(await posOracle(pos)), ...(await warehouseOracle(wms))].sort(compareStockKeys);
}

/** Applies operation deltas to oracle rows, exactly. */
function applyTouched(rows: readonly OracleRow[], ops: readonly CommittedOperation[]): OracleRow[] {
  const byKey = new Map(rows.map((r) => [`${r.sku}|${r.location}`, { ...r }]));
  for (const op of ops) {
    for (const t of op.touched) {
      if (t.sku === null || t.location === null) continue;
      const key = `${t.sku}|${t.location}`;
      const row = byKey.get(key) ?? { sku: t.sku, location: t.location, onHand: '0', reserved: '0' };
      row.onHand = sumDecimals([row.onHand, t.onHandDelta]);
      row.reserved = sumDecimals([row.reserved, t.reservedDelta]);
      byKey.set(key, row);
    }
  }
  return [...byKey.values()];
}

/** Oracle rows as a map, dropping all-zero keys (a deleted quant and a zero row mean the same). */
function asMap(rows: readonly OracleRow[]): Map<string, string> {
  return new Map(rows.filter((r) => r.onHand !== '0' || r.reserved !== '0').map((r) => [`${r.sku}|${r.location}`, `${r.onHand}/${r.reserved}`]));
}

describe('runWorkload', { timeout: 20_000 }, () => {
  const seedBoth = async (): Promise<void> => {
    await seedPos(pos, SAMPLE);
    await seedWarehouse(wms, SAMPLE);
  };

  it('runs a count of operations whose recorded deltas explain the change the oracle sees', async () => {
    await seedBoth();
    const before = await bothOracles();
    const seen: CommittedOperation[] = [];
    const result = await runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, count: 400, onCommit: (op) => seen.push(op) });
    expect(result.committed).toBe(400);
    expect(result.planned).toBe(400);
    expect(result.operations).toEqual(seen);
    expect(result.operations.map((o) => o.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    const kinds = new Set(result.operations.map((o) => o.kind));
    for (const k of ['pos.sale', 'pos.receipt', 'wms.receipt', 'wms.reserve', 'wms.delivery', 'wms.merge']) expect(kinds).toContain(k);
    expect(Object.values(result.counts).reduce((a, b) => a + b, 0)).toBe(400);
    for (const op of result.operations) {
      expect(op.touched.length).toBeGreaterThan(0);
      expect(op.committedAtMs).toBeGreaterThanOrEqual(op.startedAtMs);
      expect(typeof op.committedAtHr).toBe('bigint');
    }
    for (const source of ['pos', 'warehouse']) {
      const hr = result.operations.filter((o) => o.source === source).map((o) => o.committedAtHr);
      expect(hr.every((t, i) => i === 0 || t > (hr[i - 1] as bigint))).toBe(true); // each lane is sequential
    }

    const after = await bothOracles();
    expect(asMap(applyTouched(before, result.operations))).toEqual(asMap(after));
    expect(asMap(after)).not.toEqual(asMap(before));
  });

  it('gives the same final state for the same seed', async () => {
    await seedBoth();
    await runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, workloadSeed: 5, count: 300 });
    const first = await bothOracles();
    await seedBoth();
    await runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, workloadSeed: 5, count: 300 });
    expect(await bothOracles()).toEqual(first);
    await seedBoth();
    await runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, workloadSeed: 6, count: 300 });
    expect(await bothOracles()).not.toEqual(first);
  });

  it('paces operations at the requested rate and stops at the end of the duration', async () => {
    await seedBoth();
    const t0 = Date.now();
    const result = await runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, rate: 100, durationMs: 1500 });
    const elapsed = Date.now() - t0;
    expect(result.planned).toBe(150);
    expect(result.committed).toBeGreaterThanOrEqual(140);
    expect(result.committed).toBeLessThanOrEqual(150);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(2500);
    expect(result.achievedRate).toBeGreaterThan(85);
    expect(result.achievedRate).toBeLessThan(115);
    const lag = result.operations.map((o) => o.startedAtMs - o.scheduledAtMs).sort((a, b) => a - b);
    expect(lag[Math.floor(lag.length / 2)]).toBeLessThan(20);
  });

  it('stops early on abort and refuses databases seeded with other options', async () => {
    await seedBoth();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const result = await runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, rate: 50, durationMs: 10_000, signal: ac.signal });
    expect(result.committed).toBeGreaterThan(5);
    expect(result.committed).toBeLessThan(30);
    expect(result.endedAtMs - result.startedAtMs).toBeLessThan(1000);

    await expect(runWorkload([posWorkload(pos)], { seed: 43, products: 300, count: 1 })).rejects.toThrow(/seeded with the same seed/);
    await expect(runWorkload([posWorkload(pos)], { ...SAMPLE })).rejects.toThrow(/count or durationMs/);
  });

  it('runs one source alone with only its kinds', async () => {
    await seedBoth();
    const result = await runWorkload([warehouseWorkload(wms)], { ...SAMPLE, count: 50, mix: { 'wms.merge': 0 } });
    expect(result.committed).toBe(50);
    expect(result.operations.every((o) => o.source === 'warehouse' && o.kind !== 'wms.merge')).toBe(true);
  });
});
