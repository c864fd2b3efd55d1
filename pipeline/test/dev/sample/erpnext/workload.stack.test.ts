import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffStock, type OracleRow } from '../../../../dev/sample/shared/oracle.ts';
import { checkErpnextConsistency } from '../../../../dev/sample/erpnext/consistency.ts';
import { addDecimals } from '../../../../dev/sample/erpnext/model.ts';
import { erpnextLedgerOracle, erpnextOracle } from '../../../../dev/sample/erpnext/oracle.ts';
import { seedErpnext } from '../../../../dev/sample/erpnext/seed.ts';
import { ERPNEXT_OPERATION_KINDS, erpnextWorkload, type ErpnextOperation } from '../../../../dev/sample/erpnext/workload.ts';
import { runWorkload } from '../../../../dev/sample/shared/workload.ts';
import { dropPosDatabase, freshPosDatabase } from '../databases.ts';
import { expectPaced } from '../pacing.ts';
import { WorkloadRuns } from '../workloads.ts';

const DB = 'sample_test_erpnext_wl';
const SAMPLE = { seed: 42, products: 300 } as const;
let conn: Connection;
const runs = new WorkloadRuns();

beforeAll(async () => {
  conn = await freshPosDatabase(DB);
});
afterAll(async () => {
  await runs.stopAll();
  await dropPosDatabase(conn, DB);
});

/** Applies the operations' recorded deltas to oracle rows, exactly. */
function applyTouched(rows: readonly OracleRow[], ops: readonly ErpnextOperation[]): Map<string, string> {
  const byKey = new Map(rows.map((r) => [`${r.sku}|${r.location}`, { onHand: r.onHand, reserved: r.reserved }]));
  for (const op of ops) {
    for (const t of op.touched) {
      const key = `${t.sku}|${t.location}`;
      const row = byKey.get(key) ?? { onHand: '0', reserved: '0' };
      byKey.set(key, { onHand: addDecimals(row.onHand, t.onHandDelta), reserved: addDecimals(row.reserved, t.reservedDelta) });
    }
  }
  return new Map([...byKey].filter(([, v]) => v.onHand !== '0' || v.reserved !== '0').map(([k, v]) => [k, `${v.onHand}/${v.reserved}`]));
}
function asMap(rows: readonly OracleRow[]): Map<string, string> {
  return new Map(rows.filter((r) => r.onHand !== '0' || r.reserved !== '0').map((r) => [`${r.sku}|${r.location}`, `${r.onHand}/${r.reserved}`]));
}
/** The stock state without timestamps: Bins and ledger entries as quantities, names and flags. */
async function state(): Promise<unknown[]> {
  const [bins] = await conn.query<RowDataPacket[]>('SELECT name, item_code, warehouse, actual_qty, reserved_qty, projected_qty FROM `tabBin` ORDER BY name');
  const [sles] = await conn.query<RowDataPacket[]>(
    'SELECT name, item_code, warehouse, voucher_type, voucher_no, actual_qty, qty_after_transaction, is_cancelled FROM `tabStock Ledger Entry` ORDER BY name',
  );
  return [bins, sles];
}

describe('ERPNext workload', () => {
  it('runs every kind; the recorded deltas explain the change; Bins and ledger stay consistent and both oracles agree', async () => {
    await seedErpnext(conn, SAMPLE);
    const before = await erpnextOracle(conn);
    const seen: ErpnextOperation[] = [];
    const result = await runs.run((signal) => runWorkload([erpnextWorkload(conn)], { ...SAMPLE, count: 300, signal, onCommit: (op) => seen.push(op) }));
    expect(result.committed).toBe(300);
    expect(result.operations).toEqual(seen);
    expect(result.operations.map((o) => o.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    for (const k of ERPNEXT_OPERATION_KINDS) expect(result.counts[k]).toBeGreaterThan(0);
    for (const op of result.operations) {
      expect(op.source).toBe('erpnext');
      expect(op.touched.length).toBeGreaterThan(0);
      expect(op.committedAtMs).toBeGreaterThanOrEqual(op.startedAtMs);
      for (const t of op.touched) expect(t.location).toBe(t.sourceLocation);
    }
    const cancels = result.operations.filter((o) => o.kind === 'erp.cancel');
    for (const op of cancels) {
      expect(op.ledger.length % 2).toBe(0);
      expect(op.ledger.every((l) => l.isCancelled)).toBe(true);
      expect(
        addDecimals(
          ...op.ledger.filter((l) => l.action === 'insert').map((l) => l.actualQty),
          ...op.ledger.filter((l) => l.action === 'cancel').map((l) => l.actualQty),
        ),
      ).toBe('0');
    }

    const after = await erpnextOracle(conn);
    expect(asMap(after)).toEqual(applyTouched(before, result.operations));
    expect(asMap(after)).not.toEqual(asMap(before));
    expect(diffStock(after, await erpnextLedgerOracle(conn))).toEqual([]);
    expect(diffStock(after, await erpnextLedgerOracle(conn, undefined, { includeCancelled: true }))).toEqual([]);
    expect(await checkErpnextConsistency(conn)).toEqual([]);
  });

  it('gives the same final state, names included, for the same seed, and another for another workload seed', async () => {
    await seedErpnext(conn, SAMPLE);
    await runs.run((signal) => runWorkload([erpnextWorkload(conn)], { ...SAMPLE, workloadSeed: 5, count: 150, signal }));
    const first = await state();
    await seedErpnext(conn, SAMPLE);
    await runs.run((signal) => runWorkload([erpnextWorkload(conn)], { ...SAMPLE, workloadSeed: 5, count: 150, signal }));
    expect(await state()).toEqual(first);
    await seedErpnext(conn, SAMPLE);
    await runs.run((signal) => runWorkload([erpnextWorkload(conn)], { ...SAMPLE, workloadSeed: 6, count: 150, signal }));
    expect(await state()).not.toEqual(first);
  });

  it('never runs ahead of the requested rate, stops at the end of the duration or on abort, and refuses a database seeded with other options', async () => {
    await seedErpnext(conn, SAMPLE);
    const paced = await runs.run((signal) => runWorkload([erpnextWorkload(conn)], { ...SAMPLE, rate: 50, count: 30, signal }));
    expect(paced.committed).toBe(30);
    expectPaced(paced, 50, [{ source: 'erpnext', share: 1 }]);
    // 30 operations 20 ms apart: the last cannot start before 580 ms.
    expect(paced.endedAtMs - paced.startedAtMs).toBeGreaterThanOrEqual(580);

    const timed = await runs.run((signal) => runWorkload([erpnextWorkload(conn)], { ...SAMPLE, rate: 50, durationMs: 600, signal }));
    expect(timed.planned).toBe(30);
    expect(timed.committed).toBeLessThanOrEqual(30);
    expectPaced(timed, 50, [{ source: 'erpnext', share: 1 }]);
    for (const op of timed.operations) expect(op.startedAtMs).toBeLessThan(timed.startedAtMs + 600);

    const ac = new AbortController();
    const aborted = await runs.run((signal) =>
      runWorkload([erpnextWorkload(conn)], {
        ...SAMPLE,
        rate: 20,
        durationMs: 60_000,
        signal: AbortSignal.any([signal, ac.signal]),
        onCommit: (op) => {
          if (op.seq === 4) ac.abort();
        },
      }),
    );
    expect(aborted.committed).toBe(5); // one lane: it stops right after the operation that saw the abort
    expect(aborted.planned).toBe(1200);
    await expect(runWorkload([erpnextWorkload(conn)], { ...SAMPLE, seed: 43, count: 1 })).rejects.toThrow(/seeded with the same seed and products/);
  });
});
