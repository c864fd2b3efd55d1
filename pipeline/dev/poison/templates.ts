/**
 * Real change records to build poison from: the corpus starts from what the connectors wrote to
 * each source topic (Avro in Confluent wire format with its registry schema, or JSON with its
 * Connect schema) and edits one thing at a time, so every poison record is otherwise exactly what
 * Debezium produces on that topic.
 */
import avro from 'avsc';
import type { KafkaClient, KafkaRecord } from '../../src/kafka/client.ts';
import { readTopicsToEnd } from '../bench/read-to-end.ts';
import { bigintAvroOptions, confluentHeader, type StocksyncSchemaRegistry } from '../../src/registry/registry.ts';
import type { TopicRole } from '../../src/normalize/index.ts';

/** A Debezium row image as edited here (Avro datum or JSON payload part). */
export type Image = Record<string, unknown>;

/** A decoded Debezium value that can be edited and encoded again. */
export interface EditableEnvelope {
  /** `before`, `after`, `source`, `op`, … as the format holds them (Avro datum, JSON payload). */
  payload: { op: string; before: Image | null; after: Image | null; source: Record<string, unknown> } & Record<string, unknown>;
  /** JSON only: the Connect schema of the value (`{schema, payload}` envelope). */
  schema?: { fields: Array<{ field: string; fields?: Array<Record<string, unknown> & { field: string }> }> };
}

/** One real change record of a source topic, with what is needed to edit it. */
export interface Template {
  topic: string;
  role: TopicRole;
  format: 'avro' | 'json';
  record: KafkaRecord;
  /** Avro only: the value's writer schema id and parsed type. */
  valueSchemaId?: number;
  valueSchema?: avro.Schema;
  valueType?: avro.Type;
}

/** A fresh editable copy of the template's value. */
export function readEnvelope(template: Template): EditableEnvelope {
  const value = template.record.value!;
  if (template.format === 'json') return JSON.parse(value.toString('utf8')) as EditableEnvelope;
  return { payload: template.valueType!.fromBuffer(value.subarray(5)) as EditableEnvelope['payload'] };
}

/**
 * Encodes an edited value: JSON as text; Avro in wire format with the template's schema id, or
 * with `schema` (an edited writer schema) under `schemaId`.
 */
export function encodeEnvelope(template: Template, envelope: EditableEnvelope, schema?: { id: number; type: avro.Type }): Buffer {
  if (template.format === 'json') return Buffer.from(JSON.stringify(envelope, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  const header = Buffer.alloc(5);
  header.writeInt32BE(schema?.id ?? template.valueSchemaId!, 1);
  return Buffer.concat([header, (schema?.type ?? template.valueType!).toBuffer(envelope.payload)]);
}

/** Parses an Avro writer schema the way the pipeline does (longs as bigint). */
export function avroType(schema: avro.Schema): avro.Type {
  return avro.Type.forSchema(schema, { ...bigintAvroOptions() } as avro.ForSchemaOptions);
}

/**
 * Reads every source topic of `roles` to its end and keeps up to `perTopic` change records (op c,
 * u or r, with key and value) of each, spread over the topic.
 * @throws Error when a topic has no change record (the snapshot is not in Kafka yet).
 */
export async function readTemplates(kafka: KafkaClient, registry: StocksyncSchemaRegistry, roles: Map<string, TopicRole>, perTopic = 50): Promise<Template[]> {
  const templates: Template[] = [];
  for (const [topic, role] of roles) {
    const format = role.mapping.format === 'json' ? 'json' : 'avro';
    const records: KafkaRecord[] = [];
    await readTopicsToEnd(kafka, [topic], (r) => {
      if (r.key !== null && r.value !== null && r.value.length > 0) records.push(r);
    });
    const changes: Template[] = [];
    for (const record of records) {
      const template: Template = { topic, role, format, record };
      if (format === 'avro') {
        const id = confluentHeader(record.value!)?.schemaId;
        if (id === undefined) continue;
        const text = await registry.getSchemaText(id);
        if (text === null) continue;
        template.valueSchemaId = id;
        template.valueSchema = JSON.parse(text) as avro.Schema;
        template.valueType = avroType(template.valueSchema);
      }
      let envelope: EditableEnvelope;
      try {
        envelope = readEnvelope(template);
      } catch {
        continue; // a record of another shape (schema change, heartbeat)
      }
      if (!['c', 'u', 'r'].includes(envelope.payload?.op) || !envelope.payload.after) continue;
      changes.push(template);
    }
    if (changes.length === 0) throw new Error(`${topic}: no change record to build poison from (is the snapshot in Kafka?)`);
    const step = Math.max(1, Math.floor(changes.length / perTopic));
    for (let i = 0; i < changes.length && templates.filter((t) => t.topic === topic).length < perTopic; i += step) templates.push(changes[i]!);
  }
  return templates;
}
