/**
 * Stock writes on the sample POS database, issued the way uniCenta oPOS issues them: every stock
 * movement INSERTs a `stockdiary` row and adds its units to `stockcurrent` (UPDATE, or INSERT when
 * no row matched), and all movements of one ticket commit in ONE transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { CommitStamp } from '../shared/commit.ts';
import type { PosReason } from './schema.ts';

/** One stock movement (one ticket line or one side of a transfer). */
export interface PosMovement {
  /** POS `locations.id`, e.g. `"0"`. */
  location: string;
  /** POS `products.id`. */
  product: string;
  /** uniCenta attribute set instance, or null/omitted for the plain product. */
  attributeSetInstanceId?: string | null;
  /** uniCenta reason code; its sign must match the sign of `units`. */
  reason: PosReason;
  /** Signed units added to stockcurrent (a sale of 2 is `-2`); DOUBLE, non-zero. */
  units: number;
  /** Unit price written to the diary, in currency units. */
  price: number;
  /** `stockdiary.id`; a random UUID (as uniCenta uses) when omitted. */
  diaryId?: string;
}

/** Result of {@link applyPosMovements}. */
export interface PosCommit extends CommitStamp {
  /** `stockdiary.id` of each movement, in input order. */
  diaryIds: string[];
}

/**
 * Applies movements in one transaction: per movement, INSERT into stockdiary (with `datenew` =
 * NOW() and `committed_at` = NOW(6)), then `UPDATE stockcurrent SET units = units + ?`, INSERTing
 * the stockcurrent row when the UPDATE matched none. Rolls back and rethrows on any error.
 *
 * Rows are matched with `attributesetinstance_id <=> ?` (NULL-safe), because the unique index on
 * stockcurrent does not make NULL instances unique.
 *
 * @param conn - mysql2/promise connection on the POS database, not inside a transaction; it must
 *   not be used concurrently (one transaction per connection at a time).
 * @param movements - at least one movement.
 * @returns commit timestamps, GTID (null when binlog is off) and diary ids.
 */
export async function applyPosMovements(conn: Connection, movements: readonly PosMovement[]): Promise<PosCommit> {
  if (movements.length === 0) throw new Error('applyPosMovements: no movements');
  for (const m of movements) {
    if (!Number.isFinite(m.units) || m.units === 0 || Math.sign(m.units) !== Math.sign(m.reason)) {
      throw new Error(`applyPosMovements: units ${m.units} do not match reason ${m.reason}`);
    }
  }
  const diaryIds = movements.map((m) => m.diaryId ?? randomUUID());
  await conn.beginTransaction();
  try {
    for (const [i, m] of movements.entries()) {
      const asi = m.attributeSetInstanceId ?? null;
      await conn.execute(
        `INSERT INTO stockdiary (id, datenew, reason, location, product, attributesetinstance_id, units, price, committed_at)
         VALUES (?, NOW(), ?, ?, ?, ?, ?, ?, NOW(6))`,
        [diaryIds[i]!, m.reason, m.location, m.product, asi, m.units, m.price],
      );
      const [upd] = await conn.execute<ResultSetHeader>(
        'UPDATE stockcurrent SET units = (units + ?) WHERE location = ? AND product = ? AND attributesetinstance_id <=> ?',
        [m.units, m.location, m.product, asi],
      );
      // mysql2 sets CLIENT_FOUND_ROWS, so affectedRows counts matched rows, not changed ones.
      if (upd.affectedRows === 0) {
        await conn.execute('INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) VALUES (?, ?, ?, ?)', [
          m.location,
          m.product,
          asi,
          m.units,
        ]);
      }
    }
    await conn.commit();
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  }
  const committedAtMs = Date.now();
  const committedAtHr = process.hrtime.bigint();
  return { committedAtMs, committedAtHr, txId: await lastGtid(conn), diaryIds };
}

/** The GTID of the session's last committed transaction (MariaDB `@@last_gtid`), or null. */
async function lastGtid(conn: Connection): Promise<string | null> {
  try {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT @@last_gtid AS gtid');
    const gtid = rows[0]?.gtid as string | null | undefined;
    return gtid ? gtid : null;
  } catch {
    return null; // MySQL has no @@last_gtid
  }
}
