/**
 * Normalize: a decoded Debezium change plus its source's mapping file becomes a source-neutral
 * change — a dimension row (products, locations, ...) or a level row (quantity of a product at a
 * location, by source ids). Dimension joins happen at merge time, against the dimension rows
 * stored in the canonical database, so a level row that arrives before its product is parked
 * there rather than lost.
 */
import type { DebeziumEnvelope, FieldValue, Row } from '../decode/index.ts';
import type { QuantityRule, RowFilter, SourceMapping, StockRole, StockTable } from './mapping.ts';
import { formatNormalized, multiplyDecimal, normalizeDecimal, parseDecimal, roundDouble } from '../decimal/index.ts';
import { sourcePosition, type SourcePosition } from './position.ts';
import { toBoolean, truncateAction } from '../decode/index.ts';
import { isUnchanged, isUnknown } from '../decode/index.ts';
import { isTemporal } from '../decode/index.ts';
import type { DeadLetterReasonOf } from '../dead-letter/index.ts';

/** What a topic carries for the pipeline. */
export type TopicRole =
  | { role: 'dimension'; mapping: SourceMapping; dimension: string; table: string; key: string }
  | { role: 'stock'; mapping: SourceMapping; table: string; spec: StockTable };

/**
 * The topic Debezium writes a table's changes to: `<topic_prefix>.<table>`, with every character
 * Kafka does not allow in a topic name (anything but letters, digits, '.', '_' and '-') replaced by
 * '_' as Debezium's default topic naming does (`tabStock Ledger Entry` -> `tabStock_Ledger_Entry`).
 */
export function tableTopic(mapping: Pick<SourceMapping, 'topic_prefix'>, table: string): string {
  return `${mapping.topic_prefix}.${table.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** Topic name -> role, for every table of every mapping. */
export function topicRoles(mappings: SourceMapping[]): Map<string, TopicRole> {
  const roles = new Map<string, TopicRole>();
  for (const mapping of mappings) {
    for (const [dimension, spec] of Object.entries(mapping.dimensions)) {
      roles.set(tableTopic(mapping, spec.table), { role: 'dimension', mapping, dimension, table: spec.table, key: spec.key });
    }
    for (const [table, spec] of Object.entries(mapping.tables)) {
      roles.set(tableTopic(mapping, table), { role: 'stock', mapping, table, spec });
    }
  }
  return roles;
}

/** A dimension row's new image (or its deletion). */
export interface DimensionChange {
  kind: 'dimension';
  source: string;
  dimension: string;
  key: string;
  /** Column values as JSON-safe scalars; null when deleted. */
  attributes: Record<string, string | number | boolean | null> | null;
  position: SourcePosition;
  /** True for snapshot reads (op r). */
  snapshot: boolean;
}

/**
 * A stock row's new image (or its deletion), by source ids: a level row, a movement, or a safety
 * stock row (its `role`). Quantities are exact decimal strings in the SKU's stock unit: `onHand`
 * is the level, the movement's delta (0 when cancelled), or the safety stock.
 */
export interface LevelChange {
  kind: 'level';
  role: StockRole;
  source: string;
  table: string;
  /** JSON array of the row_key column values. */
  rowKey: string;
  /** Source id in the SKU column (null for deletes, which need only the row key). */
  productRef: string | null;
  locationRef: string | null;
  onHand: string;
  reserved: string;
  deleted: boolean;
  /** Why the row counts zero by the mapping's `where` filter, or null when it counts. */
  excluded: string | null;
  position: SourcePosition;
  /** Debezium source.ts_ms: source commit time, ms since epoch. */
  sourceTsMs: number | null;
  /** Source transaction id: MariaDB GTID (source.gtid) or PostgreSQL xid (source.txId); null in snapshots. */
  txId: string | null;
  /** True for snapshot reads (op r). */
  snapshot: boolean;
}

/**
 * A TRUNCATE of a table under the `delete-rows` policy: every stored row of the table whose source
 * position is before `position` counts no more.
 */
export interface TruncateChange {
  kind: 'truncate';
  source: string;
  table: string;
  /** Set when the truncated table is a dimension. */
  dimension: string | null;
  position: SourcePosition;
}

export type NormalizedChange = DimensionChange | LevelChange | TruncateChange;

/**
 * Reason of a {@link NormalizeError}: the normalize-stage reasons of the dead-letter reason table
 * (`DEAD_LETTER_REASONS`), less `no-position` (a {@link PositionError}, which the caller maps).
 */
export type NormalizeErrorReason = Exclude<DeadLetterReasonOf<'normalize'>, 'no-position'>;

/** A change the mapping cannot handle; names the field and a short reason code for the dead-letter topic. */
export class NormalizeError extends Error {
  constructor(
    readonly reason: NormalizeErrorReason,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

function scalar(value: FieldValue | undefined): string | number | boolean | null {
  if (value === undefined || value === null || isUnknown(value)) return null;
  if (isTemporal(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Source transaction id of a change: MariaDB/MySQL GTID, or PostgreSQL xid. */
function transactionId(envelope: DebeziumEnvelope): string | null {
  const { gtid, txId } = envelope.source;
  if (typeof gtid === 'string' && gtid !== '') return gtid;
  if (txId !== undefined && txId !== null) return String(txId);
  return null;
}

/** The source id in a code column, as text (ids are compared as text across sources). */
function idText(row: Row, column: string): string | null {
  const value = scalar(row[column]);
  return value === null ? null : String(value);
}

/**
 * An exact decimal string from a quantity column, by the rule's type.
 * @throws NormalizeError 'null-quantity' (never read as 0) or 'bad-quantity'.
 */
export function quantity(row: Row, rule: QuantityRule): string {
  const value = row[rule.column];
  if (value === null || value === undefined || isUnknown(value)) {
    throw new NormalizeError('null-quantity', rule.column, `quantity column ${rule.column} is null (a null quantity is never read as 0)`);
  }
  if (isUnchanged(value)) {
    // Debezium's unchanged-TOAST placeholder: the event does not carry the value at all.
    throw new NormalizeError('unchanged-quantity', rule.column, `quantity column ${rule.column} is not in the event (unchanged TOAST value); set REPLICA IDENTITY FULL on the table`);
  }
  let text: string;
  try {
    text = decimalOf(value, rule);
  } catch (error) {
    throw new NormalizeError('bad-quantity', rule.column, `quantity column ${rule.column}: ${(error as Error).message}`);
  }
  if (rule.factor === undefined) return text;
  return formatNormalized(multiplyDecimal(parseDecimal(text), parseDecimal(String(rule.factor))));
}

function decimalOf(value: FieldValue, rule: QuantityRule): string {
  if (rule.type === 'double') {
    if (typeof value !== 'number' && typeof value !== 'string') throw new Error(`expected a number, got ${typeof value}`);
    return roundDouble(typeof value === 'number' ? value : Number(value), rule.scale);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (rule.type === 'integer' && !Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
    return normalizeDecimal(String(value));
  }
  if (typeof value === 'string') {
    const text = normalizeDecimal(value);
    if (rule.type === 'integer' && text.includes('.')) throw new Error(`not an integer: ${value}`);
    return text;
  }
  throw new Error(`expected a decimal, got ${Buffer.isBuffer(value) ? 'raw bytes' : typeof value}`);
}

/**
 * A value as a flag, by truthiness: booleans as they are, integers (number, bigint, or integer
 * text) **nonzero = true** (`toBoolean`: MySQL/MariaDB store -1 or 2 in a TINYINT(1)/BOOLEAN, and a
 * TINYINT(1) arrives as an integer in some paths, a boolean in others), `'true'`/`'false'`.
 * @returns null when the value is no flag (null, a non-integer, other text).
 */
export function flagOf(value: unknown): boolean | null {
  if (typeof value === 'string') {
    if (value === 'true' || value === 'false') return value === 'true';
    return /^-?\d+$/.test(value) ? BigInt(value) !== 0n : null;
  }
  if (typeof value === 'boolean' || typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return toBoolean(value);
  return null;
}

/**
 * Does a column value equal a value written in a mapping file (`where`, `lookup.where`,
 * `cancelled.value`)? Flags compare by truthiness ({@link flagOf}) whenever one side is a boolean:
 * the mapping writes `true`/`false` (then any nonzero integer is true), or the value arrives as a
 * boolean (then it equals 1/0). Two non-booleans compare as text, so 1, 1n and '1' agree and a
 * status `docstatus: 1` does not match 2 (ERPNext: 2 = cancelled).
 */
export function sameValue(actual: unknown, expected: string | number | boolean | null): boolean {
  if (actual === expected) return true;
  if (actual === null || actual === undefined || expected === null) return false;
  if (typeof expected === 'boolean' || typeof actual === 'boolean') {
    const a = flagOf(actual);
    const e = flagOf(expected);
    return a !== null && e !== null && a === e;
  }
  return String(actual) === String(expected);
}

/** Why a row fails the mapping's row filter, or null when it passes. */
function failedFilter(row: Row, filter: RowFilter | undefined): string | null {
  for (const [column, expected] of Object.entries(filter ?? {})) {
    const actual = scalar(row[column]);
    if (!sameValue(actual, expected)) return `${column} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`;
  }
  return null;
}

/**
 * True when a movement row is cancelled by the mapping's `cancelled` rule: its column equals the
 * rule's `value` ({@link sameValue}, so `value: 1` also cancels `true`), or, without a `value`,
 * is a true flag ({@link flagOf}), another nonzero number, or non-empty text other than '0'/'false'.
 */
function isCancelled(row: Row, rule: StockTable['cancelled']): boolean {
  if (!rule) return false;
  const value = scalar(row[rule.column]);
  if (rule.value !== undefined) return sameValue(value, rule.value);
  return flagOf(value) ?? ((typeof value === 'number' && value !== 0) || (typeof value === 'string' && value !== '' && value !== '0' && value !== 'false'));
}

/**
 * Normalizes one change event from a mapped topic.
 * @param key - the decoded Kafka record key (primary key or message.key.columns), used for deletes.
 * @returns the change, or null when the event changes nothing (a truncate under the `ignore` policy).
 * @throws NormalizeError for events the mapping cannot handle (missing key columns, bad quantities,
 *   a truncate under the `quarantine` policy); PositionError when the source block has no position.
 */
export function normalizeChange(role: TopicRole, key: Row | null, envelope: DebeziumEnvelope): NormalizedChange | null {
  if (envelope.op === 't') {
    const policy = role.role === 'dimension' ? role.mapping.dimensions[role.dimension]?.on_truncate : role.spec.on_truncate;
    const action = truncateAction(policy, role.table);
    if (action.action === 'quarantine') throw new NormalizeError(action.reason, null, action.error);
    if (action.action === 'ignore') return null;
    return {
      kind: 'truncate',
      source: role.mapping.source,
      table: role.table,
      dimension: role.role === 'dimension' ? role.dimension : null,
      position: sourcePosition(envelope.source),
    };
  }
  if (envelope.op === 'm') throw new NormalizeError('message', null, 'logical decoding message: not a row change');
  const position = sourcePosition(envelope.source);
  const deleted = envelope.op === 'd';
  // Stock is computed from `after` only; `before` may be null or hold just the key (REPLICA IDENTITY DEFAULT).
  const image = deleted ? (envelope.before ?? key ?? {}) : envelope.after;
  if (!image) throw new NormalizeError('no-after', null, `op ${envelope.op} without an after image`);

  if (role.role === 'dimension') {
    const id = idText(image, role.key) ?? (key ? idText(key, role.key) : null);
    if (id === null) throw new NormalizeError('missing-key', role.key, `dimension ${role.dimension}: key column ${role.key} is missing`);
    return {
      kind: 'dimension',
      source: role.mapping.source,
      dimension: role.dimension,
      key: id,
      attributes: deleted ? null : Object.fromEntries(Object.entries(image).map(([k, v]) => [k, scalar(v)])),
      position,
      snapshot: envelope.op === 'r',
    };
  }

  const spec = role.spec;
  const keyValues = spec.row_key.map((column) => {
    if (column in image) return scalar(image[column]);
    if (key && column in key) return scalar(key[column]);
    throw new NormalizeError('missing-key', column, `row key column ${column} is missing from the event`);
  });
  const change: LevelChange = {
    kind: 'level',
    role: spec.role,
    source: role.mapping.source,
    table: role.table,
    rowKey: JSON.stringify(keyValues),
    productRef: null,
    locationRef: null,
    onHand: '0',
    reserved: '0',
    deleted,
    excluded: null,
    position,
    sourceTsMs: typeof envelope.source.ts_ms === 'number' ? envelope.source.ts_ms : null,
    txId: transactionId(envelope),
    snapshot: envelope.op === 'r',
  };
  if (!deleted) {
    change.productRef = idText(image, spec.sku.column);
    change.locationRef = idText(image, spec.location.column);
    if (change.productRef === null) throw new NormalizeError('missing-id', spec.sku.column, `SKU column ${spec.sku.column} is null`);
    if (change.locationRef === null) {
      throw new NormalizeError('missing-id', spec.location.column, `location column ${spec.location.column} is null`);
    }
    change.excluded = failedFilter(image, spec.where);
    const value = image[spec.quantity.column];
    if ((value === null || value === undefined) && spec.quantity.if_null === 'exclude') {
      change.excluded ??= `${spec.quantity.column} is null`;
    } else {
      change.onHand = isCancelled(image, spec.cancelled) ? '0' : quantity(image, spec.quantity);
    }
    change.reserved = spec.reserved ? quantity(image, spec.reserved) : '0';
  }
  return change;
}
