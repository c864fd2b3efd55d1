/**
 * Source positions: where in a source's change log an event sits, as one totally ordered number
 * per source row (docs/design.md invariant 3), plus a readable form.
 *
 * - MariaDB/MySQL (Debezium `source.file`, `source.pos`, `source.row`): binlog file sequence, byte
 *   position of the event, and row index within the event. value = seq * 2^52 + pos * 2^20 + row.
 * - PostgreSQL (Debezium `source.lsn`): the WAL log sequence number of the change. value = lsn.
 *
 * Snapshot events (op r) carry the position where the snapshot was taken, which is before every
 * streamed change that follows it, so a late snapshot event can never win over a streamed one.
 */
import type { SourceInfo } from '../decode/index.ts';

export interface SourcePosition {
  /** Totally ordered within one source. */
  value: bigint;
  /** Readable form: `binlog.000002:4711#0` or `lsn:0/16B3748`. */
  text: string;
}

/** Thrown when an event's source block has no usable position fields. */
export class PositionError extends Error {}

/** Computes the position of a change event from its Debezium `source` block. @throws PositionError */
export function sourcePosition(source: SourceInfo): SourcePosition {
  if (source.lsn !== undefined && source.lsn !== null) {
    const lsn = BigInt(source.lsn as bigint | number);
    return { value: lsn, text: `lsn:${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}` };
  }
  if (typeof source.file === 'string' && source.pos !== undefined) {
    const sequence = /\.(\d+)$/.exec(source.file)?.[1];
    if (sequence === undefined) throw new PositionError(`binlog file name without a sequence number: ${source.file}`);
    const pos = BigInt(source.pos as number | bigint);
    const row = BigInt((source.row as number | bigint | undefined) ?? 0);
    if (pos >= 1n << 32n || row >= 1n << 20n) throw new PositionError(`binlog position out of range: ${source.file}:${pos}#${row}`);
    return { value: (BigInt(sequence) << 52n) + (pos << 20n) + row, text: `${source.file}:${pos}#${row}` };
  }
  throw new PositionError(`source block has neither lsn nor binlog file/pos (connector ${String(source.connector)})`);
}

/**
 * A position's value from its readable form ({@link SourcePosition.text}, as `stock_level` and
 * `source_row` store it): `binlog.000002:4711#0` or `lsn:0/16B3748`.
 * @throws PositionError when the text is in neither form.
 */
export function positionValue(text: string): bigint {
  const lsn = /^lsn:([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(text);
  if (lsn) return (BigInt(`0x${lsn[1]}`) << 32n) + BigInt(`0x${lsn[2]}`);
  const binlog = /^.*\.(\d+):(\d+)#(\d+)$/.exec(text);
  if (binlog) return (BigInt(binlog[1]!) << 52n) + (BigInt(binlog[2]!) << 20n) + BigInt(binlog[3]!);
  throw new PositionError(`not a source position: ${JSON.stringify(text)}`);
}
