/**
 * Which kind of Debezium record a decoded value is, and its typed form.
 *
 * Rules, in order (value already decoded; a null value never gets here — it is a tombstone):
 * 1. heartbeat — the topic starts with the heartbeat prefix (`topic.heartbeat.prefix`, default
 *    `__debezium-heartbeat` + `.`), or the value schema is `io.debezium.connector.common.Heartbeat`.
 *    Value `{ts_ms}` (Debezium docs, "heartbeat.interval.ms").
 * 2. transaction — the topic ends with `.transaction` (`topic.transaction`, default `transaction`)
 *    and the value has a `status` and no `op` (so a source table named `transaction` stays a
 *    change stream). Value `{status: BEGIN|END, id, event_count, data_collections, ts_ms}`
 *    (Debezium docs, "Transaction metadata").
 * 3. schema-change — the value has `ddl` or `tableChanges` and no `op`, or its schema is
 *    `io.debezium.connector.<connector>.SchemaChangeValue` (MariaDB/MySQL `include.schema.changes`).
 * 4. change — the value has an `op` (the envelope of "Change event values").
 * Anything else is a DecodeError `not-an-envelope`.
 */
import { envelopeSchemaOf } from './columns.ts';
import { fieldSchema, type ConnectSchema } from './connect-schema.ts';
import { applyRowRules, type RowRuleOptions } from './row-rules.ts';
import type { DebeziumEnvelope, DecodedRecord, FieldValue, Op, Row, SourceInfo, TransactionInfo } from './types.ts';
import { DecodeError } from './errors.ts';

/** The ops a change event may carry. */
export const OPS: ReadonlySet<string> = new Set<Op>(['c', 'u', 'd', 'r', 't', 'm']);

/** Debezium's default heartbeat topic prefix, with the separating dot. */
export const DEFAULT_HEARTBEAT_TOPIC_PREFIX = '__debezium-heartbeat.';

const HEARTBEAT_SCHEMA = 'io.debezium.connector.common.Heartbeat';
const SCHEMA_CHANGE_RE = /^io\.debezium\.connector\.[^.]+\.SchemaChangeValue$/;

/** Kinds decided from a decoded value, before the key is needed. */
export type ValueKind = 'heartbeat' | 'transaction' | 'schema-change' | 'change';

/**
 * Decides the kind of a non-null value.
 * @throws DecodeError `not-an-envelope` when it is none of them.
 */
export function classifyValue(
  topic: string,
  value: FieldValue,
  schema: ConnectSchema | null,
  heartbeatTopicPrefix = DEFAULT_HEARTBEAT_TOPIC_PREFIX,
): ValueKind {
  if (topic.startsWith(heartbeatTopicPrefix) || schema?.name === HEARTBEAT_SCHEMA) return 'heartbeat';
  const v = asObject(value, 'value');
  const hasOp = v.op !== undefined && v.op !== null;
  if (!hasOp && topic.endsWith('.transaction') && v.status !== undefined) return 'transaction';
  if ((schema?.name !== undefined && SCHEMA_CHANGE_RE.test(schema.name)) || (!hasOp && ('ddl' in v || 'tableChanges' in v))) {
    return 'schema-change';
  }
  if (hasOp) return 'change';
  throw new DecodeError('not-an-envelope', `record on ${topic} has no op and is no heartbeat, transaction or schema change`);
}

/** A heartbeat value `{ts_ms}` → its record. */
export function toHeartbeat(value: FieldValue): Extract<DecodedRecord, { kind: 'heartbeat' }> {
  const v = asObject(value, 'heartbeat');
  return { kind: 'heartbeat', sourceTsMs: v.ts_ms === undefined || v.ts_ms === null ? null : safeNumber(v.ts_ms, 'ts_ms') };
}

/** A transaction metadata value → its record. */
export function toTransaction(value: FieldValue): Extract<DecodedRecord, { kind: 'transaction' }> {
  const v = asObject(value, 'transaction');
  if (v.status !== 'BEGIN' && v.status !== 'END') {
    throw new DecodeError('not-an-envelope', `transaction status ${JSON.stringify(String(v.status))} is not BEGIN or END`);
  }
  if (typeof v.id !== 'string') throw new DecodeError('not-an-envelope', 'transaction record without a string id');
  const count = v.event_count;
  return { kind: 'transaction', status: v.status, id: v.id, eventCount: count === undefined || count === null ? null : safeNumber(count, 'event_count') };
}

/**
 * A change-event value → {@link DebeziumEnvelope}, with `source` normalized (see {@link SourceInfo})
 * and the row images passed through the connector's row rules (`row-rules.ts`: unchanged-TOAST
 * placeholders, zero dates, PostgreSQL infinities become markers).
 * @param schema - the value's Connect schema, or null when the record had none.
 * @throws DecodeError `not-an-envelope` when a required part is missing or has the wrong type.
 */
export function toEnvelope(value: FieldValue, schema: ConnectSchema | null, options: RowRuleOptions = {}): DebeziumEnvelope {
  const v = asObject(value, 'envelope');
  const op = v.op;
  if (typeof op !== 'string' || !OPS.has(op)) throw new DecodeError('not-an-envelope', `unknown op ${JSON.stringify(String(op))}`);
  const source = toSource(v.source);
  const image = (field: 'before' | 'after'): Row | null => {
    const row = rowOrNull(v[field], field);
    if (row === null) return null;
    const rowSchema = schema ? (fieldSchema(schema, field) ?? null) : null;
    return applyRowRules(row, rowSchema?.type === 'struct' ? rowSchema : null, source.connector, options);
  };
  const envelope: DebeziumEnvelope = {
    before: image('before'),
    after: image('after'),
    source,
    op: op as Op,
    ts_ms: v.ts_ms === undefined || v.ts_ms === null ? null : safeNumber(v.ts_ms, 'ts_ms'),
  };
  if ('ts_us' in v) envelope.ts_us = v.ts_us as number | bigint | null;
  if ('ts_ns' in v) envelope.ts_ns = v.ts_ns as number | bigint | null;
  if ('transaction' in v) envelope.transaction = toTransactionInfo(v.transaction);
  if (op === 'm' && 'message' in v) {
    const m = v.message === null ? null : asObject(v.message, 'message');
    envelope.message = m === null ? null : { prefix: String(m.prefix), content: (m.content ?? null) as Buffer | string | null };
  }
  envelope.schema = schema ? envelopeSchemaOf(schema) : null;
  return envelope;
}

/**
 * A record key → Row. Debezium keys are structs (primary key or `message.key.columns`).
 * @throws DecodeError `not-an-envelope` for any other shape.
 */
export function toKey(key: FieldValue): Row | null {
  if (key === null) return null;
  return asObject(key, 'key');
}

/** Normalizes Debezium's `source` block (types in {@link SourceInfo}). */
export function toSource(raw: FieldValue | undefined): SourceInfo {
  const s = asObject(raw ?? null, 'source');
  for (const field of ['connector', 'name', 'db'] as const) {
    if (typeof s[field] !== 'string') throw new DecodeError('not-an-envelope', `source.${field} is missing or not a string`);
  }
  if (s.ts_ms === undefined || s.ts_ms === null) throw new DecodeError('not-an-envelope', 'source.ts_ms is missing');
  const source: SourceInfo = {
    ...s,
    connector: s.connector as string,
    name: s.name as string,
    db: s.db as string,
    ts_ms: safeNumber(s.ts_ms, 'source.ts_ms'),
    snapshot: s.snapshot === undefined || s.snapshot === null ? 'false' : String(s.snapshot),
  };
  for (const field of ['pos', 'row', 'server_id', 'txId'] as const) {
    const value = s[field];
    if (value !== undefined && value !== null) source[field] = safeNumber(value, `source.${field}`);
  }
  if (s.lsn !== undefined && s.lsn !== null) {
    if (typeof s.lsn !== 'number' && typeof s.lsn !== 'bigint') throw new DecodeError('not-an-envelope', 'source.lsn is not an integer');
    source.lsn = BigInt(s.lsn);
  }
  return source;
}

function toTransactionInfo(raw: FieldValue | undefined): TransactionInfo | null {
  if (raw === undefined || raw === null) return null;
  const t = asObject(raw, 'transaction');
  if (typeof t.id !== 'string') throw new DecodeError('not-an-envelope', 'transaction.id is not a string');
  return {
    id: t.id,
    total_order: safeNumber(t.total_order ?? null, 'transaction.total_order'),
    data_collection_order: safeNumber(t.data_collection_order ?? null, 'transaction.data_collection_order'),
  };
}

function rowOrNull(raw: FieldValue | undefined, what: string): Row | null {
  if (raw === undefined || raw === null) return null;
  return asObject(raw, what);
}

function asObject(value: FieldValue, what: string): { [k: string]: FieldValue } {
  if (!isPlainObject(value)) throw new DecodeError('not-an-envelope', `${what} is not an object`);
  return value;
}

/** A struct or map value (a plain object), as opposed to arrays, bytes, temporal values and markers. */
export function isPlainObject(value: FieldValue | undefined): value is { [k: string]: FieldValue } {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** An integer field that must fit a JS number exactly (positions, counters, ms timestamps). */
function safeNumber(value: FieldValue, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') {
    throw new DecodeError('not-an-envelope', `${what} = ${value} does not fit a JS number exactly`);
  }
  throw new DecodeError('not-an-envelope', `${what} is not a number`);
}
