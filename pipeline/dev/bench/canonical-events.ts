/**
 * The canonical changes the pipeline published, read after the fact from the `stock.levels`
 * topic: each record is one new version of one (sku, location) with the quantities, the source
 * change that triggered it (`source`, `source_position`), `updated_at` (the canonical row's write
 * in the merge transaction, `clock_timestamp()`, ms since epoch) and the record timestamp (when the
 * publisher produced it, after the merge committed and after the Redis invalidation).
 */
import avro from 'avsc';
import { registrySchemaLookup } from '../../src/decode/index.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { confluentHeader, createSchemaRegistry } from '../../src/registry/registry.ts';
import { readTopicsToEnd } from './read-to-end.ts';

/** One canonical change as published on stock.levels. */
export interface CanonicalEvent {
  sku: string;
  location: string;
  version: number;
  onHand: string;
  reserved: string;
  safetyStock: string | null;
  /** Mapping source of the change that triggered the version. */
  source: string;
  /** Its position as text (`binlog.000002:4711#0`, `lsn:0/16B3748`) and as the ordered number. */
  sourcePosition: string;
  position: bigint;
  /** `stock_level.updated_at`, ms since epoch. */
  updatedAtMs: number;
  /** stock.levels record timestamp, ms since epoch. */
  publishedAtMs: number;
}

/**
 * The ordered number of a position text — the inverse of `sourcePosition().text`
 * (normalize/position.ts): `lsn:X/Y` is the LSN; `<file>.<seq>:<pos>#<row>` is
 * seq × 2^52 + pos × 2^20 + row.
 *
 * @throws Error for any other text.
 */
export function positionValue(text: string): bigint {
  const lsn = /^lsn:([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(text);
  if (lsn) return (BigInt(`0x${lsn[1]}`) << 32n) + BigInt(`0x${lsn[2]}`);
  const binlog = /\.(\d+):(\d+)#(\d+)$/.exec(text);
  if (binlog) return (BigInt(binlog[1] as string) << 52n) + (BigInt(binlog[2] as string) << 20n) + BigInt(binlog[3] as string);
  throw new Error(`positionValue: not a source position: ${text}`);
}

/** Reads stock.levels to its current end (tombstones and undecodable records are skipped), in no particular order. */
export async function readCanonicalEvents(kafka: KafkaClient, registryUrl: string): Promise<CanonicalEvent[]> {
  const lookup = registrySchemaLookup(createSchemaRegistry(registryUrl));
  const types = new Map<number, Promise<avro.Type>>();
  const typeOf = (id: number): Promise<avro.Type> => {
    let type = types.get(id);
    if (!type) {
      type = lookup(id).then((text) => {
        if (text === null) throw new Error(`readCanonicalEvents: schema id ${id} is not in the registry`);
        return avro.Type.forSchema(JSON.parse(text) as avro.Schema);
      });
      types.set(id, type);
    }
    return type;
  };
  const events: CanonicalEvent[] = [];
  if (!(await kafka.listTopics()).includes(STOCK_LEVELS_TOPIC)) return events;
  await readTopicsToEnd(kafka, [STOCK_LEVELS_TOPIC], async (record) => {
    const header = record.value && confluentHeader(record.value);
    if (!record.value || !header) return;
    const v = (await typeOf(header.schemaId)).fromBuffer(record.value.subarray(5)) as Record<string, unknown>;
    const sourcePosition = String(v.source_position);
    events.push({
      sku: String(v.sku),
      location: String(v.location),
      version: Number(v.version),
      onHand: String(v.on_hand),
      reserved: String(v.reserved),
      safetyStock: v.safety_stock === null || v.safety_stock === undefined ? null : String(v.safety_stock),
      source: String(v.source),
      sourcePosition,
      position: positionValue(sourcePosition),
      updatedAtMs: Number(v.updated_at),
      publishedAtMs: record.timestamp,
    });
  });
  return events;
}
