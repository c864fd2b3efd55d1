/**
 * The one error type of the decode stage for input that cannot be decoded. A `DecodeError` means
 * the record itself is bad: the caller quarantines it (dead-letter topic, with `reason` as a
 * header) and goes on. Any other error thrown by a decoder (the schema registry unreachable, …)
 * is transient: the caller retries the record and must not dead-letter it.
 */

/**
 * Machine-readable reason of a {@link DecodeError}:
 *
 * - `bad-magic-byte` — Avro value/key whose first byte is not 0 (not Confluent wire format).
 * - `unknown-schema-id` — the schema id in the wire-format header is not in the registry.
 * - `unsupported-schema` — the writer schema is not valid Avro, or uses a construct Kafka Connect
 *   never writes (a union of two non-null types).
 * - `truncated` — the payload ends before the datum does (including a wire-format header shorter
 *   than 5 bytes).
 * - `corrupt-payload` — the Avro binary does not decode with its writer schema (bad varint, bad
 *   union branch, trailing bytes, …).
 * - `invalid-json` — the JSON value or key is not valid JSON (RFC 8259).
 * - `schema-mismatch` — a value does not fit its (Connect) schema, e.g. a string where int64 is
 *   declared, a Decimal without a scale, a non-integral int64.
 * - `not-an-envelope` — decoded fine but is none of the known record kinds (no `op`, an unknown
 *   `op`, a `source` without its required fields, a heartbeat without `ts_ms`, …).
 */
export type DecodeErrorReason =
  | 'bad-magic-byte'
  | 'unknown-schema-id'
  | 'unsupported-schema'
  | 'truncated'
  | 'corrupt-payload'
  | 'invalid-json'
  | 'schema-mismatch'
  | 'not-an-envelope';

/** A record that cannot be decoded. `reason` is a short machine code ({@link DecodeErrorReason}). */
export class DecodeError extends Error {
  constructor(
    readonly reason: DecodeErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DecodeError';
  }
}
