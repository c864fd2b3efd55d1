/**
 * What the decode stage produces: one plain Debezium change-event envelope, whatever converter
 * (Avro in Confluent wire format, or JSON) wrote the Kafka record.
 *
 * The envelope shape is Debezium's ("Change event values" in each connector's documentation,
 * e.g. https://debezium.io/documentation/reference/3.5/connectors/mariadb.html#mariadb-change-event-values
 * and .../postgresql.html#postgresql-change-event-values): `before`, `after`, `source`, `op`,
 * `ts_ms`, `transaction`. Values are exact: see {@link FieldValue}.
 *
 * A leaf module: types only, so every module of the stage can import it without a cycle. The
 * stage's front door is `index.ts`.
 */
import type { ConnectType } from './connect-schema.ts';
import type { Unchanged, Unknown } from './markers.ts';
import type { TemporalValue } from './temporal.ts';

/**
 * Debezium operation: `c` create, `u` update, `d` delete, `r` read (snapshot), `t` truncate,
 * `m` message (PostgreSQL logical decoding message).
 */
export type Op = 'c' | 'u' | 'd' | 'r' | 't' | 'm';

/**
 * One decoded value, by Kafka Connect schema type and logical name (the schema the converter wrote):
 *
 * | Connect type / logical name                     | value                                               |
 * | ----------------------------------------------- | --------------------------------------------------- |
 * | `org.apache.kafka.connect.data.Decimal`         | decimal `string`, exactly `scale` fraction digits   |
 * | `io.debezium.data.VariableScaleDecimal`         | decimal `string`, the value's own scale (NaN, ±Infinity arrive as null) |
 * | int8, int16, int32                              | `number`; `boolean` for a propagated TINYINT(1)/BIT(1) (nonzero = true) |
 * | int64                                           | `number` if a safe integer (abs value ≤ 2^53 − 1), else `bigint` |
 * | float32                                         | `number`, the shortest decimal of the float32 (`0.1`, not `0.10000000149011612`) |
 * | float64                                         | `number`                                            |
 * | boolean, string                                 | `boolean`, `string`                                 |
 * | bytes                                           | `Buffer`                                            |
 * | `io.debezium.time.*`, Connect Date/Time/Timestamp | {@link TemporalValue} (`LocalDate`, `LocalTime`, `LocalDateTime`, `Instant`, `OffsetTime`, `Duration`; table in `temporal.ts`) |
 * | `io.debezium.time.Year`                         | `number`                                            |
 * | array / map / struct                            | `FieldValue[]` / object / object (`Row`)            |
 * | optional field without a value                  | `null`                                              |
 *
 * In row images only (`before`/`after`, rules in `row-rules.ts`): {@link Unknown} for zero dates and
 * PostgreSQL infinities, {@link Unchanged} for unchanged TOAST columns (see `markers.ts` for the
 * contract). Other semantic types (`io.debezium.data.Json`, `Enum`, `Uuid`, `Bits`…) keep their
 * wire value; their logical name is in {@link DebeziumEnvelope.schema} (see `columnTypes`).
 *
 * Records from JSON without schemas (`schemas.enable=false`) have no type information: there,
 * integers are `number` or `bigint` (by size), other numbers `number`, and bytes, Decimal,
 * VariableScaleDecimal and temporal values stay as the converter wrote them.
 */
export type FieldValue = string | number | bigint | boolean | null | Buffer | TemporalValue | Unknown | Unchanged | FieldValue[] | { [k: string]: FieldValue };

/** One row image (`before`/`after`) or one record key: column name → value. */
export type Row = Record<string, FieldValue>;

/**
 * Debezium's `source` block: where and when the change happened. Common fields are typed; the
 * connector-specific rest passes through with {@link FieldValue} types.
 *
 * MariaDB/MySQL (io.debezium.connector.mariadb.Source): `file` binlog file name, `pos` position of
 * the event in it (bytes), `row` index of the row within the event, `server_id`, `gtid`,
 * `thread`, `query`. PostgreSQL (io.debezium.connector.postgresql.Source): `schema`, `lsn` (WAL
 * log sequence number, always a `bigint`), `txId`, `xmin`, `sequence` (JSON text
 * `["<last committed lsn>","<lsn>"]`).
 */
export interface SourceInfo {
  /** Debezium version, e.g. `3.5.0.Final`. */
  version?: string;
  /** Connector type: `mariadb`, `mysql`, `postgresql`, … */
  connector: string;
  /** Logical server name (`topic.prefix`). */
  name: string;
  /** Database name. */
  db: string;
  /** PostgreSQL schema name. */
  schema?: string;
  /** Table name. */
  table?: string;
  /** When the change was made in the source database (commit time for most), ms since epoch. */
  ts_ms: number;
  /**
   * Snapshot marker, always a string: `'true'`, `'false'`, `'first'`, `'first_in_data_collection'`,
   * `'last_in_data_collection'`, `'last'`, `'incremental'` (io.debezium.data.Enum). A missing or
   * null value is `'false'` (the schema's default); a boolean from an old connector becomes its text.
   */
  snapshot: string;
  /** MariaDB/MySQL: binlog file name. */
  file?: string;
  /** MariaDB/MySQL: binlog position of the event, bytes. */
  pos?: number;
  /** MariaDB/MySQL: row index within the binlog event. */
  row?: number;
  /** MariaDB/MySQL: GTID of the transaction, if GTIDs are on. */
  gtid?: string | null;
  /** MariaDB/MySQL: server id of the source. */
  server_id?: number;
  /** PostgreSQL: log sequence number of the change. */
  lsn?: bigint;
  /** PostgreSQL: transaction id. */
  txId?: number;
  /** PostgreSQL: `["<last committed lsn>","<lsn>"]` as JSON text. */
  sequence?: string | null;
  [k: string]: FieldValue | undefined;
}

/** Debezium transaction metadata attached to an event (only with `provide.transaction.metadata`). */
export interface TransactionInfo {
  /** Transaction id (MariaDB: GTID or file:pos; PostgreSQL: `txId:lsn`). */
  id: string;
  /** Position of the event among all events of the transaction (1-based). */
  total_order: number;
  /** Position of the event among the transaction's events for this table (1-based). */
  data_collection_order: number;
}

/** A change event, decoded. */
export interface DebeziumEnvelope {
  /** Row before the change (null for `c`, `r`; present for `u`/`d` when the source logs it). */
  before: Row | null;
  /** Row after the change (null for `d`). */
  after: Row | null;
  source: SourceInfo;
  op: Op;
  /** When Debezium processed the event, ms since epoch (null if absent). */
  ts_ms: number | null;
  /** Same instant in µs / ns (Debezium ≥ 2.6); ns pass 2^53 so they are `bigint`. */
  ts_us?: number | bigint | null;
  ts_ns?: number | bigint | null;
  transaction?: TransactionInfo | null;
  /** `op = m` only: the logical decoding message (PostgreSQL `pg_logical_emit_message`). */
  message?: { prefix: string; content: Buffer | string | null } | null;
  /**
   * The writer schema of the row images, as Kafka Connect types and logical names (see
   * `columnTypes`); null when the record carried no schema (JSON with `schemas.enable=false`).
   * The decoder always sets it; envelopes built by hand may leave it out.
   */
  schema?: EnvelopeSchema | null;
}

/** A Kafka record, classified and decoded. */
export type DecodedRecord =
  /** A row change (any `op`). `key` is the record key (primary key or `message.key.columns`), null for keyless tables. */
  | { kind: 'change'; key: Row | null; envelope: DebeziumEnvelope }
  /** A null value: Debezium writes one after each delete so compaction can drop the key. */
  | { kind: 'tombstone'; key: Row | null }
  /** A record on the heartbeat topic (`__debezium-heartbeat.<prefix>`): source time of the heartbeat, ms since epoch. */
  | { kind: 'heartbeat'; sourceTsMs: number | null }
  /** A record on the transaction metadata topic (`<prefix>.transaction`). `eventCount` only on END. */
  | { kind: 'transaction'; status: 'BEGIN' | 'END'; id: string; eventCount: number | null }
  /** A DDL event on the schema-change topic (`<prefix>`); the pipeline does not use its content. */
  | { kind: 'schema-change' };

/**
 * Type of one column of a row image, for stages that need to know what a value means.
 *
 * `type` is the Connect type on the wire, `logical` the schema name when it has one, e.g.
 * `{ type: 'int64', logical: 'io.debezium.time.MicroTimestamp', optional: true }` (value decoded to a
 * `LocalDateTime`) or `{ type: 'struct', logical: 'io.debezium.data.VariableScaleDecimal' }` (value
 * decoded to a decimal string).
 */
export interface ColumnType {
  type: ConnectType;
  logical?: string;
  parameters?: Record<string, string>;
  optional: boolean;
  /** The source column's name when the connector propagated it and it differs from the field name. */
  sourceName?: string;
  /** The column default the writer schema declares, decoded like a value (absent when none). */
  default?: FieldValue;
}

/** The writer schema of an envelope's row images. */
export interface EnvelopeSchema {
  /** Envelope schema name, e.g. `pos.pos.stockcurrent.Envelope` (null if the schema has none). */
  name: string | null;
  /** Column name → type, in schema order (taken from the `after` field, which `before` shares). */
  columns: Record<string, ColumnType>;
}
