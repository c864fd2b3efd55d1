/**
 * POS tickets in one round trip: the statements `applyPosMovements` (sample/pos/operations.ts)
 * issues one by one — per movement a stockdiary INSERT and the stockcurrent UPDATE, or INSERT
 * when the UPDATE matched no row — sent as one multi-statement query with the COMMIT and the GTID
 * lookup. The rows written and the transaction are the same; the load generator needs the round
 * trips it saves (each costs a system call on both sides, which is what limits it on 2 cores).
 */
import { randomUUID } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { CommitStamp } from '../sample/shared/commit.ts';
import type { PosMovement } from '../sample/pos/operations.ts';

/**
 * Applies `movements` in one transaction, in one round trip.
 *
 * @param conn - a connection opened with `multipleStatements: true`, not inside a transaction and
 *   used by nobody else meanwhile; its rows must not be written concurrently by another connection
 *   (the stockcurrent INSERT relies on the UPDATE before it having matched nothing).
 * @returns commit timestamps and the GTID (`@@last_gtid`; null when binlog is off).
 * @throws the database error after rolling the transaction back.
 */
export async function applyPosMovementsInOneTrip(conn: Connection, movements: readonly PosMovement[]): Promise<CommitStamp> {
  if (movements.length === 0) throw new Error('applyPosMovementsInOneTrip: no movements');
  const statements = ['START TRANSACTION'];
  for (const m of movements) {
    if (!Number.isFinite(m.units) || m.units === 0 || Math.sign(m.units) !== Math.sign(m.reason)) {
      throw new Error(`applyPosMovementsInOneTrip: units ${m.units} do not match reason ${m.reason}`);
    }
    const asi = m.attributeSetInstanceId ?? null;
    statements.push(
      conn.format(
        `INSERT INTO stockdiary (id, datenew, reason, location, product, attributesetinstance_id, units, price, committed_at)
         VALUES (?, NOW(), ?, ?, ?, ?, ?, ?, NOW(6))`,
        [m.diaryId ?? randomUUID(), m.reason, m.location, m.product, asi, m.units, m.price],
      ),
      conn.format('UPDATE stockcurrent SET units = (units + ?) WHERE location = ? AND product = ? AND attributesetinstance_id <=> ?', [
        m.units,
        m.location,
        m.product,
        asi,
      ]),
      // ROW_COUNT(): rows the UPDATE matched (mysql2 sets CLIENT_FOUND_ROWS); none -> insert the row.
      conn.format('INSERT INTO stockcurrent (location, product, attributesetinstance_id, units) SELECT ?, ?, ?, ? FROM DUAL WHERE ROW_COUNT() = 0', [
        m.location,
        m.product,
        asi,
        m.units,
      ]),
    );
  }
  statements.push('COMMIT', 'SELECT @@last_gtid AS gtid');
  let results: unknown;
  try {
    [results] = await conn.query(statements.join(';\n'));
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  const committedAtMs = Date.now();
  const committedAtHr = process.hrtime.bigint();
  const last = (results as unknown[])[(results as unknown[]).length - 1] as RowDataPacket[];
  const gtid = last[0]?.gtid as string | null | undefined;
  return { committedAtMs, committedAtHr, txId: gtid ? gtid : null };
}
