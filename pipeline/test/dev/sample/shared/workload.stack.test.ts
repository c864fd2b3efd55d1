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
import { expectPaced } from '../pacing.ts';
import { WorkloadRuns } from '../workloads.ts';

const POS_DB = 'sample_test_pos_wl';
const WMS_DB = 'sample_test_wms_wl';
const SAMPLE = { seed: 42, products: 300 } as const;
let pos: Connection;
let wms: pg.Client;
const runs = new WorkloadRuns();

beforeAll(async () => {
  pos = await freshPosDatabase(POS_DB);
  wms = await freshWarehouseDatabase(WMS_DB);
});
afterAll(async () => {
  await runs.stopAll();
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

describe('runWorkload', () => {
  const seedBoth = async (): Promise<void> => {
    await seedPos(pos, SAMPLE);
    await seedWarehouse(wms, SAMPLE);
  };

  it('runs a count of operations whose recorded deltas explain the change the oracle sees', async () => {
    await seedBoth();
    const before = await bothOracles();
    const seen: CommittedOperation[] = [];
    const result = await runs.run((signal) =>
      runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, count: 400, signal, onCommit: (op) => seen.push(op) }),
    );
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
    await runs.run((signal) => runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, workloadSeed: 5, count: 300, signal }));
    const first = await bothOracles();
    await seedBoth();
    await runs.run((signal) => runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, workloadSeed: 5, count: 300, signal }));
    expect(await bothOracles()).toEqual(first);
    await seedBoth();
    await runs.run((signal) => runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, workloadSeed: 6, count: 300, signal }));
    expect(await bothOracles()).not.toEqual(first);
  });

  it('never starts an operation before its time, so never runs ahead of the rate, and stops at the end of the duration', async () => {
    await seedBoth();
    const result = await runs.run((signal) => runWorkload([posWorkload(pos), warehouseWorkload(wms)], { ...SAMPLE, rate: 100, durationMs: 1500, signal }));
    expect(result.planned).toBe(150);
    expect(result.committed).toBeLessThanOrEqual(150);
    expectPaced(result, 100, [
      { source: 'pos', share: 63 / 100 },
      { source: 'warehouse', share: 37 / 100 },
    ]);
    for (const op of result.operations) expect(op.startedAtMs).toBeLessThan(result.startedAtMs + 1500);
    // Not ahead: the last operations are scheduled close to the end of the duration.
    expect(result.endedAtMs - result.startedAtMs).toBeGreaterThanOrEqual(1400);
  });

  it('stops early on abort and refuses databases seeded with other options', async () => {
    await seedBoth();
    const ac = new AbortController();
    const result = await runs.run((signal) =>
      runWorkload([posWorkload(pos), warehouseWorkload(wms)], {
        ...SAMPLE,
        rate: 50,
        durationMs: 10_000,
        signal: AbortSignal.any([signal, ac.signal]),
        onCommit: (op) => {
          if (op.seq === 9) ac.abort();
        },
      }),
    );
    // The lane that recorded the 10th operation stops; the other finishes the one it is running.
    expect(result.committed).toBeGreaterThanOrEqual(10);
    expect(result.committed).toBeLessThanOrEqual(11);
    expect(result.planned).toBe(500);

    await expect(runWorkload([posWorkload(pos)], { seed: 43, products: 300, count: 1 })).rejects.toThrow(/seeded with the same seed/);
    await expect(runWorkload([posWorkload(pos)], { ...SAMPLE })).rejects.toThrow(/count or durationMs/);
  });

  it('runs one source alone with only its kinds', async () => {
    await seedBoth();
    const result = await runs.run((signal) => runWorkload([warehouseWorkload(wms)], { ...SAMPLE, count: 50, mix: { 'wms.merge': 0 }, signal }));
    expect(result.committed).toBe(50);
    expect(result.operations.every((o) => o.source === 'warehouse' && o.kind !== 'wms.merge')).toBe(true);
  });
});
