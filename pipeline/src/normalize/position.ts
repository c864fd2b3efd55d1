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

/**
 * The LSN of a PostgreSQL event without `source.lsn`: Debezium's incremental snapshot events
 * (`snapshot = incremental`, e.g. asked for by `stocksync reconcile --repair`) carry `lsn: null`
 * and the position of their snapshot window in `sequence` (`["<last committed lsn>","<lsn>"]`,
 * observed with Debezium 3.5.0.Final): the larger of the two. Null when there is none.
 */
function sequenceLsn(sequence: unknown): bigint | null {
  if (typeof sequence !== 'string') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(sequence);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const lsns = parsed.filter((v): v is string => typeof v === 'string' && /^\d+$/.test(v)).map((v) => BigInt(v));
  return lsns.length === 0 ? null : lsns.reduce((a, b) => (a > b ? a : b));
}

/** Computes the position of a change event from its Debezium `source` block. @throws PositionError */
export function sourcePosition(source: SourceInfo): SourcePosition {
  const lsn = source.lsn !== undefined && source.lsn !== null ? BigInt(source.lsn as bigint | number) : sequenceLsn(source.sequence);
  if (lsn !== null) {
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
