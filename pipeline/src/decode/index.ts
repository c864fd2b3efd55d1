/**
 * The decode stage's front door: one Kafka record → one Debezium envelope (`types.ts`), whatever
 * converter wrote it. Callers outside the stage import from here only.
 */
export type { ColumnType, DebeziumEnvelope, DecodedRecord, EnvelopeSchema, FieldValue, Op, Row, SourceInfo, TransactionInfo } from './types.ts';
export type { ConnectType } from './connect-schema.ts';
export { createDecoder, type Decoder, type DecoderOptions } from './decoder.ts';
export { DecodeError, type DecodeErrorReason } from './errors.ts';
export { LOGICAL } from './connect-schema.ts';
export { columnTypes, resolveColumn, sanitizeAvroName, withDefaults } from './columns.ts';
export { registrySchemaLookup, staticSchemaLookup, type SchemaTextSource, type WriterSchemaLookup } from './avro.ts';
export { isUnchanged, isUnknown, UNCHANGED, Unchanged, Unknown, type UnknownReason } from './markers.ts';
export { Duration, Instant, isTemporal, LocalDate, LocalDateTime, LocalTime, OffsetTime, type TemporalValue } from './temporal.ts';
export { instantToLocalDateTime, localDateTimeToInstant, TimeZoneError, type Disambiguation } from './time-zone.ts';
export { markSentinels } from './row-rules.ts';
export { shortestFloat32, toBoolean } from './values.ts';
export { truncateAction, TRUNCATE_POLICIES, type TruncateAction, type TruncatePolicy } from './truncate.ts';
export { printJson } from './print.ts';
