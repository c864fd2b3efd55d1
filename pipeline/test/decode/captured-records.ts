/**
 * Test helpers over the captured type/shape fixtures (`npm run fixtures`): decode a connector's
 * records with the code under test, find one change by table, op and key, and show decoded values
 * in a form that names each value's class and exact text.
 */
import {
  createDecoder,
  isTemporal,
  Unchanged,
  Unknown,
  staticSchemaLookup,
  type DebeziumEnvelope,
  type DecodedRecord,
  type Decoder,
  type FieldValue,
  type Row,
} from '../../src/decode/index.ts';
import type { KafkaRecord } from '../../src/kafka/client.ts';
import { capturedRecords, capturedSchemas } from '../fixtures/captured.ts';

export const MARIADB_DB = 'fixtures';

let schemas: Record<string, string> | undefined;
/** The decoder for a fixture connector id (`…-avro…` → Avro with the stored writer schemas). */
export function decoderFor(id: string): Decoder {
  schemas ??= capturedSchemas();
  return id.includes('-avro') ? createDecoder({ format: 'avro', registry: staticSchemaLookup(schemas) }) : createDecoder({ format: 'json' });
}

export interface Decoded {
  record: KafkaRecord;
  decoded: DecodedRecord;
}

const cache = new Map<string, Promise<Decoded[]>>();
/** Every record of a fixture connector, decoded (throws if any record fails to decode). */
export function decodedRecords(id: string): Promise<Decoded[]> {
  let entry = cache.get(id);
  if (!entry) {
    const decoder = decoderFor(id);
    entry = Promise.all(capturedRecords(id).map(async (record) => ({ record, decoded: await decoder.decode(record) })));
    cache.set(id, entry);
  }
  return entry;
}

/** The topic of a table of a fixture connector. */
export function tableTopic(id: string, table: string): string {
  return `fixtures_${id.replace(/-/g, '_')}.${id.startsWith('mariadb') ? MARIADB_DB : 'public'}.${table}`;
}

export interface FoundChange {
  record: KafkaRecord;
  key: Row | null;
  envelope: DebeziumEnvelope;
}

/** The change events of a table, in capture order per partition. */
export async function changesOf(id: string, table: string): Promise<FoundChange[]> {
  const topic = tableTopic(id, table);
  return (await decodedRecords(id)).flatMap(({ record, decoded }) =>
    record.topic === topic && decoded.kind === 'change' ? [{ record, key: decoded.key, envelope: decoded.envelope }] : [],
  );
}

/**
 * The one change of `table` with this op whose key (or, for keyless tables, row image) has `id`.
 * @throws when there is not exactly one.
 */
export async function theChange(id: string, table: string, op: string, keyId: number): Promise<FoundChange> {
  const found = (await changesOf(id, table)).filter((c) => c.envelope.op === op && (c.key?.id ?? c.envelope.after?.id ?? c.envelope.before?.id) === keyId);
  if (found.length !== 1) throw new Error(`${id} ${table}: ${found.length} changes with op ${op} and id ${keyId}`);
  return found[0]!;
}

/**
 * A value as `<class> <exact text>` for temporal values and markers, `<n>n` for bigints,
 * `bytes <hex>` for bytes; other values as they are. Two values show the same only if they are the
 * same value of the same class (the texts are exact ISO 8601 / decimal forms).
 */
export function show(value: FieldValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (typeof value === 'bigint') return `${value}n`;
  if (Buffer.isBuffer(value)) return `bytes ${value.toString('hex')}`;
  if (isTemporal(value)) return `${value.kind} ${value.toString()}`;
  if (value instanceof Unknown) return `unknown ${value.reason}`;
  if (value instanceof Unchanged) return 'unchanged';
  if (Array.isArray(value)) return value.map(show);
  if (value !== null && typeof value === 'object') return showRow(value as Row);
  return value;
}

/** {@link show} applied to every column. */
export function showRow(row: Row | null): Record<string, unknown> | null {
  if (row === null) return null;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, show(v)]));
}
