/**
 * Producing the poison corpus into the real source topics: the edited Avro writer schemas are
 * registered first (under subjects of their own, so no connector ever picks them up), then the
 * records of every kind go out interleaved, in small batches, each tagged with headers naming its
 * kind, variant and expected outcome (`stocksync.poison.*`) so the report can find them again by
 * topic, partition and offset.
 */
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import pg from 'pg';
import type { StackEndpoints } from '../../src/config/endpoints.ts';
import type { KafkaClient, OutgoingRecord } from '../../src/kafka/client.ts';
import type { StocksyncSchemaRegistry } from '../../src/registry/registry.ts';
import { applicableVariants, makeRecord, POISON_KINDS, poisonColumn, type CorpusContext, type PoisonKind } from './kinds.ts';
import { avroType, type Template } from './templates.ts';

/** Headers every poison record carries. */
export const POISON_HEADERS = { kind: 'stocksync.poison.kind', variant: 'stocksync.poison.variant', expected: 'stocksync.poison.expected' } as const;

/** Records of the 1 MB kind: few, they are large (1/500 of the corpus, at least 6). */
export const oneMegabyteCount = (records: number): number => Math.max(6, Math.round(records / 500));

/**
 * How many records of each kind make `records` in all: the 1 MB kind gets {@link oneMegabyteCount},
 * the others share the rest equally.
 */
export function kindCounts(records: number): Record<PoisonKind, number> {
  const big = oneMegabyteCount(records);
  const others = POISON_KINDS.filter((k) => k !== 'one-megabyte-value');
  const share = Math.ceil((records - big) / others.length);
  return Object.fromEntries(POISON_KINDS.map((k) => [k, k === 'one-megabyte-value' ? big : share])) as Record<PoisonKind, number>;
}

/** Retypes the first quantity column of an Avro row schema (in `before` and `after`, which share the record). */
function retypedSchema(schema: avro.Schema, column: string, type: (old: unknown) => unknown): avro.Schema {
  const copy = JSON.parse(JSON.stringify(schema)) as { fields: Array<{ name: string; type: unknown }> };
  for (const part of copy.fields.filter((f) => f.name === 'before' || f.name === 'after')) {
    for (const branch of Array.isArray(part.type) ? part.type : [part.type]) {
      const row = branch as { fields?: Array<{ name: string; type: unknown; default?: unknown }> };
      const field = row?.fields?.find((f) => f.name === column);
      if (!field) continue;
      const optional = Array.isArray(field.type) && field.type.includes('null');
      const old = optional ? (field.type as unknown[]).find((b) => b !== 'null') : field.type;
      field.type = optional ? ['null', type(old)] : type(old);
      // The old default may not fit the new type.
      if (optional) field.default = null;
      else delete field.default;
    }
  }
  return copy as avro.Schema;
}

/**
 * Registers, per Avro stock topic, its value schema with the quantity column retyped: a Decimal
 * with scale parameter "2147483647" (when the column is a Decimal) and a `BIGINT UNSIGNED` long.
 */
export async function registerPoisonSchemas(registry: StocksyncSchemaRegistry, templates: Template[]): Promise<CorpusContext['avroSchemas']> {
  const schemas: CorpusContext['avroSchemas'] = new Map();
  const seen = new Set<string>();
  for (const t of templates) {
    const column = poisonColumn(t);
    if (t.format !== 'avro' || !column || seen.has(t.topic)) continue;
    seen.add(t.topic);
    const register = async (purpose: string, schema: avro.Schema) => {
      const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `stocksync-poison.${t.topic}-${purpose}` });
      schemas.set(`${t.topic}|${purpose}`, { id, type: avroType(schema) });
    };
    const decimal = (old: unknown) => typeof old === 'object' && old !== null && (old as { logicalType?: string }).logicalType === 'decimal';
    if (hasDecimalColumn(t.valueSchema!, column, decimal)) {
      await register(
        'decimal-scale',
        retypedSchema(t.valueSchema!, column, (old) => {
          const o = old as Record<string, unknown>;
          return { ...o, scale: 2147483647, 'connect.parameters': { ...(o['connect.parameters'] as object), scale: '2147483647' } };
        }),
      );
    }
    await register(
      'unsigned',
      retypedSchema(t.valueSchema!, column, () => ({ type: 'long', 'connect.parameters': { '__debezium.source.column.type': 'BIGINT UNSIGNED' } })),
    );
  }
  return schemas;
}

function hasDecimalColumn(schema: avro.Schema, column: string, isDecimal: (t: unknown) => boolean): boolean {
  let found = false;
  retypedSchema(schema, column, (old) => {
    found ||= isDecimal(old);
    return old;
  });
  return found;
}

/** Mapped stock rows of its own source a dimension row must have to count as in use (see {@link referencedDimensionKeys}). */
export const ROWS_IN_USE = 5;

/**
 * Dimension keys of rows in use — at least {@link ROWS_IN_USE} mapped, live stock rows of the same
 * source resolve through them — by `${source}|${dimension}`. Renaming such a row to a code the
 * store cannot hold rewrites those stock rows, so the merge rejects it; a row no stock row uses
 * could take any code (the rename is then legitimately merged), and with several users the valid
 * traffic's deletes meanwhile cannot take them all.
 */
export async function referencedDimensionKeys(endpoints: StackEndpoints, templates: Template[]): Promise<CorpusContext['referencedKeys']> {
  const keys: CorpusContext['referencedKeys'] = new Map();
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    for (const t of templates) {
      if (t.role.role !== 'dimension') continue;
      const name = `${t.role.mapping.source}|${t.role.dimension}`;
      if (keys.has(name)) continue;
      const dimension = t.role.dimension;
      const tables = Object.values(t.role.mapping.tables);
      const lookupOf = (ref: unknown) => (ref as { lookup?: { dimension: string } }).lookup?.dimension;
      const column = tables.some((table) => lookupOf(table.sku) === dimension)
        ? 'product_ref'
        : tables.some((table) => lookupOf(table.location) === dimension)
          ? 'location_ref'
          : null;
      if (!column) continue;
      const { rows } = await client.query<{ ref: string }>(
        `SELECT ${column} AS ref FROM source_row
         WHERE source = $1 AND status = 'mapped' AND NOT deleted AND ${column} IS NOT NULL
         GROUP BY ${column} HAVING count(*) >= $2`,
        [t.role.mapping.source, ROWS_IN_USE],
      );
      keys.set(name, new Set(rows.map((r) => r.ref)));
    }
  } finally {
    await client.end();
  }
  return keys;
}

/** What was produced. */
export interface ProducedCorpus {
  /** Records per kind and per variant (`kind` → `variant` → count). */
  byVariant: Record<string, Record<string, number>>;
  total: number;
  /** Kinds no template allowed (none expected with the shipped mappings). */
  skippedKinds: PoisonKind[];
}

/**
 * Produces `counts[kind]` records of each kind, interleaved, in batches of at most `batchRecords`
 * records or about 500 kB per topic (a partition's batch must stay under the broker's
 * `message.max.bytes`, 1 MB); a record over 400 kB goes alone.
 */
export async function produceCorpus(
  kafka: KafkaClient,
  templates: Template[],
  ctx: CorpusContext,
  counts: Record<PoisonKind, number>,
  options: { batchRecords?: number; progress?: (line: string) => void } = {},
): Promise<ProducedCorpus> {
  const batchRecords = options.batchRecords ?? 200;
  const produced: ProducedCorpus = { byVariant: {}, total: 0, skippedKinds: [] };
  const plans = POISON_KINDS.map((kind) => ({ kind, variants: applicableVariants(kind, templates, ctx), next: 0 }));
  for (const p of plans) if (p.variants.length === 0 && counts[p.kind] > 0) produced.skippedKinds.push(p.kind);
  const pending = new Map<string, { records: OutgoingRecord[]; bytes: number }>();
  const flush = async (topic: string) => {
    const batch = pending.get(topic);
    if (!batch || batch.records.length === 0) return;
    pending.delete(topic);
    await kafka.send(topic, batch.records);
  };
  let left = plans.filter((p) => p.variants.length > 0 && counts[p.kind] > 0);
  let reported = 0;
  while (left.length > 0) {
    for (const plan of left) {
      const record = makeRecord(plan.kind, plan.next, plan.variants, ctx)!;
      plan.next++;
      const outgoing: OutgoingRecord = {
        key: record.key,
        value: record.value,
        headers: { [POISON_HEADERS.kind]: record.kind, [POISON_HEADERS.variant]: record.variant, [POISON_HEADERS.expected]: record.expected },
      };
      const size = (record.value?.length ?? 0) + (record.key?.length ?? 0);
      const kind = (produced.byVariant[record.kind] ??= {});
      kind[record.variant] = (kind[record.variant] ?? 0) + 1;
      produced.total++;
      if (size > 400_000) {
        await kafka.send(record.topic, [outgoing]);
        continue;
      }
      const batch = pending.get(record.topic) ?? { records: [], bytes: 0 };
      pending.set(record.topic, batch);
      batch.records.push(outgoing);
      batch.bytes += size;
      if (batch.records.length >= batchRecords || batch.bytes >= 500_000) await flush(record.topic);
    }
    left = left.filter((p) => p.next < counts[p.kind]);
    if (produced.total - reported >= 1000) {
      reported = produced.total;
      options.progress?.(`  ${produced.total} poison records produced`);
    }
  }
  for (const topic of [...pending.keys()]) await flush(topic);
  return produced;
}
