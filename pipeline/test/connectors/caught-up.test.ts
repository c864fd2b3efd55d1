/**
 * Issue 16 (faults): reading a MariaDB binlog against a Debezium offset. The events and offsets
 * below were observed on the local stack (MariaDB 10.11, Debezium 3.5.0.Final).
 */
import { describe, expect, it } from 'vitest';
import { firstUnreadChange, lsnToNumber, type BinlogEvent } from '../../src/connectors/caught-up.ts';

const F = 'binlog.000001';
const ev = (pos: number, type: string, info: string, endPos: number): BinlogEvent => ({ file: F, pos, type, info, endPos });

/** Another database's transaction, then one POS transaction writing three captured tables (two stockcurrent rows). */
const events: BinlogEvent[] = [
  ev(510942, 'Gtid', 'BEGIN GTID 0-1-29', 510984),
  ev(510984, 'Annotate_rows', 'INSERT INTO healing_other.t (v) VALUES (1),(2)', 511053),
  ev(511053, 'Table_map', 'table_id: 90 (healing_other.t)', 511120),
  ev(511120, 'Write_rows_v1', 'table_id: 90 flags: STMT_END_F', 511171),
  ev(511171, 'Xid', 'COMMIT /* xid=314 */', 511202),
  ev(1663827, 'Gtid', 'BEGIN GTID 0-1-182', 1663869),
  ev(1663869, 'Annotate_rows', "INSERT INTO pos.locations (id,name) VALUES ('HEAL-X9','x')", 1663950),
  ev(1663950, 'Table_map', 'table_id: 192 (pos.locations)', 1664022),
  ev(1664022, 'Write_rows_v1', 'table_id: 192 flags: STMT_END_F', 1664068),
  ev(1664068, 'Annotate_rows', 'INSERT INTO pos.products …', 1664202),
  ev(1664202, 'Table_map', 'table_id: 193 (pos.products)', 1664332),
  ev(1664332, 'Write_rows_v1', 'table_id: 193 flags: STMT_END_F', 1664417),
  ev(1664417, 'Annotate_rows', 'INSERT INTO pos.stockcurrent …', 1664584),
  ev(1664584, 'Table_map', 'table_id: 194 (pos.stockcurrent)', 1664703),
  ev(1664703, 'Write_rows_v1', 'table_id: 194 flags: STMT_END_F', 1664793),
  ev(1664793, 'Xid', 'COMMIT /* xid=1819 */', 1664824),
];
const pos = (table: string) => table.startsWith('pos.');
const from = (start: number) => events.filter((e) => e.pos >= start);

describe('firstUnreadChange', () => {
  it('counts a transaction as read when the offset stands on its last rows event (the offset of its last record)', () => {
    // Debezium's offset of the last stockcurrent record: the transaction's GTID event, 6 events, 2 rows.
    expect(firstUnreadChange(from(1663827), { file: F, pos: 1663827, event: 6, row: 2 }, pos)).toBeNull();
  });

  it('finds the first captured change after the offset', () => {
    // The offset of the products record: events 0..3 processed, and 1 row of event 4 (the products rows).
    expect(firstUnreadChange(from(1663827), { file: F, pos: 1663827, event: 4, row: 1 }, pos)).toMatchObject({ pos: 1664703, table: 'pos.stockcurrent' });
    // A heartbeat's offset before the transaction: none of it is read.
    expect(firstUnreadChange(from(510942), { file: F, pos: 510942, event: 1 }, pos)).toMatchObject({ pos: 1664022, table: 'pos.locations' });
  });

  it("ignores other databases' changes: a source that moved on through them is caught up", () => {
    expect(firstUnreadChange(from(510942), { file: F, pos: 510942 }, pos)).not.toBeNull();
    expect(firstUnreadChange(events.slice(0, 5), { file: F, pos: 510942 }, pos)).toBeNull();
    expect(firstUnreadChange(events, { file: F, pos: 510942 }, (t) => t.startsWith('erpnext.'))).toBeNull();
  });

  it('reads PostgreSQL LSNs as numbers', () => {
    expect(lsnToNumber('0/2F3BA88')).toBe(49527432n);
    expect(lsnToNumber('1/0')).toBe(4294967296n);
  });
});
