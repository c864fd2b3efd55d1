/**
 * Normalize: a decoded Debezium change plus its source's mapping file becomes a source-neutral
 * change — a dimension row (products, locations, ...) or a level row (quantity of a product at a
 * location, by source ids). Dimension joins happen at merge time, against the dimension rows
 * stored in the canonical database, so a level row that arrives before its product is parked
 * there rather than lost.
 */
import type { ColumnType, DebeziumEnvelope, FieldValue, Row } from '../decode/index.ts';
import { columnTypes, resolveColumn } from '../decode/index.ts';
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

/**
 * Topic name -> role, for every table of every mapping.
 * @throws Error when two mappings read the same topic (the same `topic_prefix` and table): one
 *   source's changes would be taken for the other's (`sources check` reports it too).
 */
export function topicRoles(mappings: SourceMapping[]): Map<string, TopicRole> {
  const roles = new Map<string, TopicRole>();
  const claim = (topic: string, role: TopicRole) => {
    const other = roles.get(topic);
    if (other && other.mapping !== role.mapping) {
      throw new Error(
        `topic ${topic} is read by two sources: ${other.mapping.source} (${other.mapping.file}) and ${role.mapping.source} (${role.mapping.file}); give each source its own topic_prefix`,
      );
    }
    roles.set(topic, role);
  };
  for (const mapping of mappings) {
    for (const [dimension, spec] of Object.entries(mapping.dimensions)) {
      claim(tableTopic(mapping, spec.table), { role: 'dimension', mapping, dimension, table: spec.table, key: spec.key });
    }
    for (const [table, spec] of Object.entries(mapping.tables)) {
      claim(tableTopic(mapping, table), { role: 'stock', mapping, table, spec });
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
  /**
   * Column values as JSON-safe scalars; null when deleted. Columns the mapping names are also
   * under their SQL name when the converter renamed them (Avro: `2nd-code` arrives as `_2nd_code`).
   * Columns listed in `unchanged` are left out.
   */
  attributes: Record<string, string | number | boolean | null> | null;
  /**
   * Columns the event did not carry (PostgreSQL unchanged TOAST values under REPLICA IDENTITY
   * DEFAULT): they keep their stored values — the merge completes `attributes` from the row's
   * earlier image (`completeDimensionChange`). Absent when the image is whole.
   */
  unchanged?: string[];
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
  /** Source id in the SKU column (null for deletes, which need only the row key, and when in `keepStored`). */
  productRef: string | null;
  locationRef: string | null;
  onHand: string;
  reserved: string;
  deleted: boolean;
  /** Why the row counts zero by the mapping's `where` filter, or null when it counts. */
  excluded: string | null;
  /**
   * What the event could not say because a column it needs was not in it (PostgreSQL unchanged
   * TOAST values under REPLICA IDENTITY DEFAULT): the SKU or location id, or the `where` filter's
   * decision. The merge takes them from the row's earlier image (`completeLevelChange`); until then
   * the ids are null (a row with a null id resolves to `unmapped`, naming the column) and `excluded`
   * says why the row cannot count. Absent when the image is whole.
   */
  keepStored?: KeptField[];
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

/** A field of a {@link LevelChange} that an unchanged column leaves to the stored row. */
export type KeptField = 'productRef' | 'locationRef' | 'excluded';

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
 * A row with each column the mapping names also under that name when the converter spelled it
 * otherwise: Avro names must match `[A-Za-z_][A-Za-z0-9_]*`, so the Avro converter (or Debezium's
 * `field.name.adjustment.mode=avro`) delivers a SQL column `2nd-qty` as `_2nd_qty`; mapping files
 * name the SQL column (`resolveColumn` finds it under either name, or by its propagated source name).
 * @returns `row` itself when nothing was renamed.
 */
function withSqlNames(row: Row, columns: Record<string, ColumnType>, names: Iterable<string>): Row {
  let out = row;
  for (const name of names) {
    if (name in row) continue;
    const field = resolveColumn(row, columns, name);
    if (field === undefined) continue;
    if (out === row) out = { ...row };
    out[name] = row[field]!;
  }
  return out;
}

/** The columns of a stock row the mapping reads. */
function stockColumns(spec: StockTable): string[] {
  return [
    ...spec.row_key,
    spec.sku.column,
    spec.location.column,
    spec.quantity.column,
    ...(spec.reserved ? [spec.reserved.column] : []),
    ...(spec.cancelled ? [spec.cancelled.column] : []),
    ...Object.keys(spec.where ?? {}),
  ];
}

/** The columns of dimension `dimension` the mapping reads: its key, and every lookup's field and `where` columns. */
function dimensionColumns(mapping: SourceMapping, dimension: string, key: string): string[] {
  const columns = [key];
  for (const spec of Object.values(mapping.tables)) {
    for (const rule of [spec.sku, spec.location]) {
      if (rule.lookup?.dimension !== dimension) continue;
      columns.push(rule.lookup.field, ...Object.keys(rule.lookup.where ?? {}));
    }
  }
  return columns;
}

/**
 * An exact decimal string from a quantity column, by the rule's type.
 * @throws NormalizeError 'null-quantity' (never read as 0) or 'bad-quantity'.
 */
export function quantity(row: Row, rule: QuantityRule): string {
  const value = row[rule.column];
  if (value === undefined) throw missingQuantityColumn(row, rule.column);
  if (value === null || isUnknown(value)) {
    throw new NormalizeError('null-quantity', rule.column, `quantity column ${rule.column} is null (a null quantity is never read as 0)`);
  }
  if (isUnchanged(value)) {
    // Debezium's unchanged-TOAST placeholder: the event does not carry the value at all.
    throw new NormalizeError(
      'unchanged-quantity',
      rule.column,
      `quantity column ${rule.column} is not in the event (unchanged TOAST value); set REPLICA IDENTITY FULL on the table`,
    );
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

/** A quantity column the event does not have at all: the mapping names a column the table lacks. */
function missingQuantityColumn(row: Row, column: string): NormalizeError {
  const columns = Object.keys(row);
  return new NormalizeError(
    'bad-quantity',
    column,
    `quantity column ${column} is not in the event (its columns: ${columns.slice(0, 30).join(', ')}${columns.length > 30 ? ', …' : ''}); check the mapping's column name against the table`,
  );
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

/**
 * The mapping's row filter on a row: why a column the event carries fails it (`failed`, null when
 * none does), and the filter columns the event does not carry (`unchanged`: unchanged TOAST values,
 * whose stored decision stands — never evaluated on the placeholder).
 */
function evaluateFilter(row: Row, filter: RowFilter | undefined): { failed: string | null; unchanged: string[] } {
  const unchanged: string[] = [];
  for (const [column, expected] of Object.entries(filter ?? {})) {
    if (isUnchanged(row[column])) {
      unchanged.push(column);
      continue;
    }
    const actual = scalar(row[column]);
    if (!sameValue(actual, expected)) return { failed: `${column} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`, unchanged };
  }
  return { failed: null, unchanged };
}

/**
 * True when a movement row is cancelled by the mapping's `cancelled` rule: its column equals the
 * rule's `value` ({@link sameValue}, so `value: 1` also cancels `true`), or, without a `value`,
 * is a true flag ({@link flagOf}), another nonzero number, or non-empty text other than '0'/'false'.
 */
function isCancelled(row: Row, rule: StockTable['cancelled']): boolean {
  if (!rule) return false;
  if (isUnchanged(row[rule.column])) {
    throw new NormalizeError(
      'unchanged-quantity',
      rule.column,
      `cancelled column ${rule.column} is not in the event (unchanged TOAST value), so whether the movement counts is unknown; set REPLICA IDENTITY FULL on the table`,
    );
  }
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
  const raw = deleted ? (envelope.before ?? key ?? {}) : envelope.after;
  if (!raw) throw new NormalizeError('no-after', null, `op ${envelope.op} without an after image`);
  const types = columnTypes(envelope);

  if (role.role === 'dimension') {
    const columns = dimensionColumns(role.mapping, role.dimension, role.key);
    const image = withSqlNames(raw, types, columns);
    const keyRow = key ? withSqlNames(key, {}, [role.key]) : null;
    const id = (isUnchanged(image[role.key]) ? null : idText(image, role.key)) ?? (keyRow ? idText(keyRow, role.key) : null);
    if (id === null) throw new NormalizeError('missing-key', role.key, `dimension ${role.dimension}: key column ${role.key} is missing`);
    // An unchanged column is left out, never stored as its placeholder: the merge keeps its stored value.
    const unchanged = deleted ? [] : Object.keys(image).filter((column) => isUnchanged(image[column]));
    return {
      kind: 'dimension',
      source: role.mapping.source,
      dimension: role.dimension,
      key: id,
      attributes: deleted
        ? null
        : Object.fromEntries(
            Object.entries(image)
              .filter(([, v]) => !isUnchanged(v))
              .map(([k, v]) => [k, scalar(v)]),
          ),
      ...(unchanged.length > 0 ? { unchanged } : {}),
      position,
      snapshot: envelope.op === 'r',
    };
  }

  const spec = role.spec;
  const image = withSqlNames(raw, types, stockColumns(spec));
  const keyRow = key ? withSqlNames(key, {}, spec.row_key) : null;
  const keyValues = spec.row_key.map((column) => {
    if (column in image && !isUnchanged(image[column])) return scalar(image[column]);
    if (keyRow && column in keyRow) return scalar(keyRow[column]);
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
    const keepStored: KeptField[] = [];
    for (const [field, rule] of [
      ['productRef', spec.sku],
      ['locationRef', spec.location],
    ] as const) {
      if (isUnchanged(image[rule.column])) {
        keepStored.push(field); // the stored id stands; null until the merge takes it
        continue;
      }
      change[field] = idText(image, rule.column);
      if (change[field] === null) {
        throw new NormalizeError('missing-id', rule.column, `${field === 'productRef' ? 'SKU' : 'location'} column ${rule.column} is null`);
      }
    }
    const filter = evaluateFilter(image, spec.where);
    change.excluded = filter.failed;
    const value = image[spec.quantity.column];
    if (value === null && spec.quantity.if_null === 'exclude') {
      // Excluded whatever the filter would decide: the row counts for nothing either way.
      change.excluded ??= `${spec.quantity.column} is null`;
    } else {
      change.onHand = isCancelled(image, spec.cancelled) ? '0' : quantity(image, spec.quantity);
      if (change.excluded === null && filter.unchanged.length > 0) {
        // The stored decision stands; this says why the row cannot count when there is none.
        keepStored.push('excluded');
        change.excluded = `filter column ${filter.unchanged.join(', ')} not in the event (unchanged TOAST value) and no earlier image of the row is stored`;
      }
    }
    change.reserved = spec.reserved ? quantity(image, spec.reserved) : '0';
    if (keepStored.length > 0) change.keepStored = keepStored;
  }
  return change;
}
