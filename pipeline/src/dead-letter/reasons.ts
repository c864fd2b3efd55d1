/**
 * Every reason a record can be dead-lettered for: the one list of the `stocksync.reason` header
 * values (docs/dead-letters.md shows this table; a unit test keeps the two equal).
 *
 * A leaf module (no imports) so every stage may use it: decode's `DecodeErrorReason` and
 * normalize's `NormalizeErrorReason` are the reasons of their stage in this table.
 */

/**
 * Reason code → the stage that quarantines it, what it means, and what the user should do.
 * Order: by stage along the pipeline (decode, normalize, merge, channels).
 */
export const DEAD_LETTER_REASONS = {
  'bad-magic-byte': {
    stage: 'decode',
    meaning: 'An Avro key or value whose first byte is not 0 (not Confluent wire format), e.g. JSON or garbage on an Avro topic.',
    action: "Check the connector's key/value converters against the mapping's `format`; fix the producer, then replay.",
  },
  'unknown-schema-id': {
    stage: 'decode',
    meaning: 'The schema id in the wire-format header is not in the schema registry.',
    action: 'Check that the pipeline and the connector use the same schema registry (STOCKSYNC_REGISTRY_URL); replay once the schema is registered.',
  },
  'unsupported-schema': {
    stage: 'decode',
    meaning: 'The writer schema is not valid Avro, or uses a construct Kafka Connect never writes (a union of two non-null types).',
    action: 'Inspect the record with `stocksync decode --schema`; the producer is not a Debezium connector as configured.',
  },
  truncated: {
    stage: 'decode',
    meaning: 'The payload ends before the datum does (including a wire-format header shorter than 5 bytes).',
    action: 'Look for a producer or tool that cuts messages (max message size); the record cannot be replayed as is.',
  },
  'corrupt-payload': {
    stage: 'decode',
    meaning: 'The Avro binary does not decode with its writer schema (bad varint, bad union branch, trailing bytes).',
    action: 'Inspect the record with `stocksync decode`; the producer wrote it with another schema than the one its id names.',
  },
  'invalid-json': {
    stage: 'decode',
    meaning: 'The JSON key or value is not valid JSON (RFC 8259).',
    action: "Check the connector's converters against the mapping's `format` (an Avro record on a JSON topic lands here).",
  },
  'schema-mismatch': {
    stage: 'decode',
    meaning: 'A value does not fit its (Connect) schema, e.g. a string where int64 is declared, a Decimal without a scale.',
    action: 'Inspect the record with `stocksync decode`; report it with the record if the connector wrote it.',
  },
  'decimal-out-of-range': {
    stage: 'decode',
    meaning:
      'A decimal beyond what any source column holds (PostgreSQL numeric: 131072 digits before the point, 16383 after), e.g. a Decimal or VariableScaleDecimal scale of 2147483647; the error names the field.',
    action: 'Inspect the record with `stocksync decode`; the producer (or a converter or SMT between it and Kafka) wrote a corrupt scale or value.',
  },
  'unsigned-overflow': {
    stage: 'decode',
    meaning:
      'A negative value in a column the connector declares unsigned (propagated source type `BIGINT UNSIGNED`): a value above 2^63 - 1 written as a signed long under `bigint.unsigned.handling.mode=long`; the error names the field.',
    action: 'Set `bigint.unsigned.handling.mode` to `precise` in the connector config (exact decimals), then replay.',
  },
  'not-an-envelope': {
    stage: 'decode',
    meaning: 'Decoded fine but is none of the known record kinds (no `op`, an unknown `op`, a `source` without its required fields, …).',
    action: 'Find who produces to the table topic besides the connector; only Debezium change events belong there.',
  },
  'no-position': {
    stage: 'normalize',
    meaning: 'The Debezium `source` block has no usable position (neither `lsn` nor binlog `file`/`pos`).',
    action: 'Check the connector type and version; without a position a change cannot be ordered.',
  },
  'null-quantity': {
    stage: 'normalize',
    meaning: 'The quantity column is null (a null quantity is never read as 0).',
    action: "Fix the source row, or set the quantity rule's `if_null: exclude` in the mapping; then replay.",
  },
  'unchanged-quantity': {
    stage: 'normalize',
    meaning: 'The quantity column is not in the event (PostgreSQL unchanged TOAST value).',
    action: 'Set REPLICA IDENTITY FULL on the table; the next change of the row carries the value.',
  },
  'bad-quantity': {
    stage: 'normalize',
    meaning: "The quantity column's value is not a number the quantity rule can read.",
    action: "Check the quantity rule's column and type in the mapping against the source table; fix, then replay.",
  },
  truncate: {
    stage: 'normalize',
    meaning: 'A TRUNCATE of a table whose truncate policy is `quarantine` (the default when none is configured).',
    action: 'Decide what the TRUNCATE means: set `on_truncate` (`ignore` or `delete-rows`) for the table in the mapping, then replay.',
  },
  message: {
    stage: 'normalize',
    meaning: 'A logical decoding message (op `m`) on a table topic: not a row change.',
    action: 'Nothing to replay; stop the source from emitting messages to this topic if they are unexpected.',
  },
  'no-after': {
    stage: 'normalize',
    meaning: 'A create, update or read event without an `after` image.',
    action: 'Check the connector configuration (no SMT may drop `after`); report it with the record.',
  },
  'missing-key': {
    stage: 'normalize',
    meaning: "A row key column (the mapping's `row_key`, or a dimension's `key`) is missing from the event and its key.",
    action: "Check the mapping's key columns against the table, and `message.key.columns` for tables without a primary key.",
  },
  'missing-id': {
    stage: 'normalize',
    meaning: 'The SKU or location column of a stock row is null.',
    action: 'Fix the source row (a stock row needs a product and a location), then replay.',
  },
  'internal-error': {
    stage: 'normalize',
    meaning:
      'Decoding or normalizing the record failed with an unexpected error (none of the reasons above): a defect of stocksync that this record trips. The error header holds the message.',
    action: 'Report it with the record (`stocksync dlq list --reason internal-error`); replay once a fixed stocksync runs.',
  },
  'unmapped-code': {
    stage: 'merge',
    meaning:
      "The SKU or location code of a stock row resolves to nothing (not in the constant map, no code in the dimension row, not one of the source's locations).",
    action: 'Add the code to the mapping (constant map, `locations`) or fix the dimension row, then replay.',
  },
  'dimension-timeout': {
    stage: 'merge',
    meaning: "A stock row waited longer than its source's `parked_timeout_seconds` for a dimension row (product, location) that has not arrived.",
    action:
      'Find why the dimension row is missing (connector, filter, deleted row). Nothing to replay: the row stays parked and applies when the dimension row arrives.',
  },
  'merge-rejected': {
    stage: 'merge',
    meaning:
      'The canonical store refused the change for good (SQLSTATE class 22 data exception, 23 integrity violation or 54 program limit, e.g. a code too long to index); the batch was split until this record was found, and the rest merged. The error header names the SQLSTATE and message.',
    action: 'Fix the source row (e.g. shorten the name or code), or report the SQLSTATE and message; the next change of the row merges as usual.',
  },
  'bad-key': {
    stage: 'channels',
    meaning: 'A `stock.levels` record whose key is not a Confluent wire-format Avro {sku, location}.',
    action: 'Find who produces to `stock.levels` besides the pipeline; only the pipeline may.',
  },
  'channel-rejected': {
    stage: 'channels',
    meaning:
      "A channel's database refused a SKU's row for good (e.g. MariaDB ER_DATA_TOO_LONG for a SKU longer than the column); the chunk was split until this SKU was found, and the rest of the channel was written. The error header names the channel, the SKU and the database's message.",
    action:
      "Widen the channel table's column or stop the SKU reaching the channel (its rules' locations); then `stocksync channels resync <channel>` or replay.",
  },
} as const satisfies Record<string, { stage: DeadLetterStage; meaning: string; action: string }>;

/** The stage that dead-letters a record: where in the pipeline it was found bad. */
export type DeadLetterStage = 'decode' | 'normalize' | 'merge' | 'channels';

/** A dead-letter reason code (the `stocksync.reason` header of a dead letter). */
export type DeadLetterReason = keyof typeof DEAD_LETTER_REASONS;

/** The reasons that stage `S` dead-letters records for. */
export type DeadLetterReasonOf<S extends DeadLetterStage> = {
  [R in DeadLetterReason]: (typeof DEAD_LETTER_REASONS)[R]['stage'] extends S ? R : never;
}[DeadLetterReason];
