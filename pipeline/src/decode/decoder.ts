/**
 * The decode stage: one Kafka record → one {@link DecodedRecord}, whatever converter wrote it.
 *
 * ```ts
 * const decoder = createDecoder({ format: 'avro', registry: createSchemaRegistry(stackEndpoints().registryUrl) });
 * const decoded = await decoder.decode(record); // { kind: 'change', key, envelope } | …
 * ```
 *
 * Errors: a {@link DecodeError} means the record is bad (dead-letter it with `reason`); any other
 * rejection (the registry unreachable) is transient (retry, do not dead-letter).
 */
import type { KafkaRecord } from '../kafka/client.ts';
import { createAvroReader, registrySchemaLookup, type SchemaTextSource, type WriterSchemaLookup } from './avro.ts';
import { classifyValue, DEFAULT_HEARTBEAT_TOPIC_PREFIX, toEnvelope, toHeartbeat, toKey, toTransaction } from './classify.ts';
import type { DecodedRecord, Row } from './types.ts';
import { readJson } from './json.ts';
import type { DecodedDatum } from './values.ts';

/** Decodes Kafka records of one converter format. */
export interface Decoder {
  /**
   * Decodes and classifies one record (rules in `classify.ts`: null value → tombstone; heartbeat
   * topic → heartbeat; `*.transaction` → transaction; DDL → schema-change; `op` → change).
   * The key is decoded only for `change` and `tombstone`.
   * @throws DecodeError for a record that cannot be decoded.
   */
  decode(record: KafkaRecord): Promise<DecodedRecord>;
}

export interface DecoderOptions {
  /** The converter of the topics: `avro` (Confluent wire format) or `json` (JsonConverter). */
  format: 'avro' | 'json';
  /**
   * Avro only, required there: where writer schemas come from — the schema registry client
   * (`createSchemaRegistry(url)`), or a lookup function (e.g. `staticSchemaLookup` over stored
   * schemas in tests).
   */
  registry?: SchemaTextSource | WriterSchemaLookup;
  /** Heartbeat topic prefix including the dot; default `__debezium-heartbeat.`. */
  heartbeatTopicPrefix?: string;
  /**
   * The connectors' `unavailable.value.placeholder` (default `__debezium_unavailable_value`): row
   * values in its forms, and a Decimal column holding its bytes, become `UNCHANGED` (see `markers.ts`).
   */
  unavailablePlaceholder?: string;
}

/**
 * Creates a decoder.
 * @throws Error when `format` is `avro` and no `registry` is given.
 */
export function createDecoder(options: DecoderOptions): Decoder {
  const heartbeatPrefix = options.heartbeatTopicPrefix ?? DEFAULT_HEARTBEAT_TOPIC_PREFIX;
  const rowRules = options.unavailablePlaceholder === undefined ? {} : { unavailablePlaceholder: options.unavailablePlaceholder };
  const convert = options.unavailablePlaceholder === undefined ? {} : { placeholder: Buffer.from(options.unavailablePlaceholder, 'utf8') };
  let read: (payload: Buffer) => Promise<DecodedDatum>;
  if (options.format === 'avro') {
    if (!options.registry) throw new Error("createDecoder: format 'avro' needs a registry (client or schema lookup)");
    const lookup = typeof options.registry === 'function' ? options.registry : registrySchemaLookup(options.registry);
    const reader = createAvroReader(lookup, convert);
    read = (payload) => reader.read(payload);
  } else if (options.format === 'json') {
    read = async (payload) => readJson(payload, convert);
  } else {
    throw new Error(`createDecoder: unknown format ${JSON.stringify(options.format)}`);
  }
  const readKey = async (key: Buffer | null): Promise<Row | null> => (key === null ? null : toKey((await read(key)).datum));

  return {
    async decode(record) {
      if (record.value === null) return { kind: 'tombstone', key: await readKey(record.key) };
      const { datum, schema } = await read(record.value);
      if (datum === null) return { kind: 'tombstone', key: await readKey(record.key) };
      switch (classifyValue(record.topic, datum, schema, heartbeatPrefix)) {
        case 'heartbeat':
          return toHeartbeat(datum);
        case 'transaction':
          return toTransaction(datum);
        case 'schema-change':
          return { kind: 'schema-change' };
        case 'change':
          return { kind: 'change', key: await readKey(record.key), envelope: toEnvelope(datum, schema, rowRules) };
      }
    },
  };
}
