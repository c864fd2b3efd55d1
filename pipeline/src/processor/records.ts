/**
 * One Kafka record through decode and normalize, with the processor's rule for failures: a record
 * that cannot be decoded or mapped becomes a dead letter with its stage's reason; an unexpected
 * error on one record (a defect of stocksync that the record trips) dead-letters that record as
 * `internal-error`, so no record can stall its partition; only a schema lookup that failed (the
 * registry unreachable) is thrown, to be retried.
 */
import type { KafkaRecord } from '../kafka/client.ts';
import { DecodeError, type Decoder, type Row, type WriterSchemaLookup } from '../decode/index.ts';
import { normalizeChange, NormalizeError, PositionError, type NormalizedChange, type TopicRole } from '../normalize/index.ts';
import type { DeadLetter, DeadLetterReason } from '../dead-letter/index.ts';

/** A schema lookup that failed (the registry unreachable, or answering errors): transient, never a dead letter. */
export class SchemaRegistryUnavailable extends Error {
  constructor(cause: unknown) {
    super(`schema registry unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'SchemaRegistryUnavailable';
  }
}

/** Wraps a writer-schema lookup so that its failures are {@link SchemaRegistryUnavailable}. */
export function markUnavailable(lookup: WriterSchemaLookup): WriterSchemaLookup {
  return (schemaId) =>
    lookup(schemaId).catch((error: unknown) => {
      throw new SchemaRegistryUnavailable(error);
    });
}

/** What became of one record: a change to merge, a dead letter, or null (nothing to merge: tombstone, heartbeat, ...). */
export type RecordOutcome = NormalizedChange | DeadLetter | null;

/** The record's key as readable text: the decoded key as JSON, else the raw bytes as base64. */
export function keyText(key: Row | null, raw: Buffer | null): string | null {
  if (key) return JSON.stringify(key, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return raw ? raw.toString('base64') : null;
}

/**
 * Decodes and normalizes one record of `role`'s topic with `decoder`; `onDecoded` sees each
 * decoded record's kind (for counting).
 * @throws SchemaRegistryUnavailable only (retry the record); every other failure is a dead letter.
 */
export async function decodeRecord(record: KafkaRecord, role: TopicRole, decoder: Decoder, onDecoded?: (kind: string) => void): Promise<RecordOutcome> {
  let key: Row | null = null;
  const letter = (reason: DeadLetterReason, field: string | null, error: string): DeadLetter => ({
    record,
    source: role.mapping.source,
    table: role.table,
    key: keyText(key, record.key),
    field,
    reason,
    error,
  });
  try {
    const decoded = await decoder.decode(record);
    onDecoded?.(decoded.kind);
    if (decoded.kind !== 'change') return null; // tombstones, heartbeats, transaction markers
    key = decoded.key;
    return normalizeChange(role, decoded.key, decoded.envelope);
  } catch (error) {
    if (error instanceof DecodeError) return letter(error.reason, error.field ?? null, error.message);
    if (error instanceof NormalizeError) return letter(error.reason, error.field, error.message);
    if (error instanceof PositionError) return letter('no-position', 'source', error.message);
    if (error instanceof SchemaRegistryUnavailable || (error as { cause?: unknown })?.cause instanceof SchemaRegistryUnavailable) throw error;
    const e = error as Error;
    return letter('internal-error', null, `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`);
  }
}
