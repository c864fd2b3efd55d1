/**
 * Kafka Connect schemas: the one type model both converters are read into.
 *
 * Debezium builds every event with Kafka Connect's `org.apache.kafka.connect.data.Schema`; a
 * converter then writes that schema its own way — the JSON converter as the `schema` half of
 * `{schema, payload}` (Kafka `JsonConverter`, `schemas.enable=true`; format in
 * `org.apache.kafka.connect.json.JsonConverter#asJsonSchema`), the Avro converter as an Avro
 * schema with `connect.*` attributes (see `avro-schema.ts`). Reading both into {@link ConnectSchema}
 * lets one value converter (`values.ts`) handle both formats.
 *
 * Logical types travel as the schema `name` plus `parameters` (Connect's own:
 * `org.apache.kafka.connect.data.Decimal` with parameter `scale`, `…Date`, `…Time`, `…Timestamp`;
 * Debezium's: `io.debezium.data.VariableScaleDecimal`, `io.debezium.time.*`,
 * `io.debezium.data.Enum`, …; https://debezium.io/documentation/reference/3.5/connectors/postgresql.html#postgresql-data-types).
 */
import { DecodeError } from './errors.ts';

/** Kafka Connect schema types (`org.apache.kafka.connect.data.Schema.Type`, lower-cased as JSON writes them). */
export type ConnectType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

const CONNECT_TYPES: ReadonlySet<string> = new Set<ConnectType>([
  'int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'string', 'bytes', 'array', 'map', 'struct',
]);

/** A Kafka Connect schema. */
export interface ConnectSchema {
  type: ConnectType;
  /** True when the value may be null. */
  optional: boolean;
  /** Logical / struct name, e.g. `org.apache.kafka.connect.data.Decimal`, `pos.pos.stockcurrent.Value`. */
  name?: string;
  version?: number;
  /** Schema parameters, all strings (e.g. Decimal `{ scale: '3' }`, Enum `{ allowed: 'a,b' }`). */
  parameters?: Record<string, string>;
  /** `struct` only, in schema order. */
  fields?: ConnectField[];
  /** `array` only. */
  items?: ConnectSchema;
  /** `map` only. */
  keys?: ConnectSchema;
  values?: ConnectSchema;
}

/** One field of a struct schema. */
export interface ConnectField {
  name: string;
  schema: ConnectSchema;
}

/** Well-known logical names (Kafka Connect and Debezium). */
export const LOGICAL = {
  decimal: 'org.apache.kafka.connect.data.Decimal',
  date: 'org.apache.kafka.connect.data.Date',
  time: 'org.apache.kafka.connect.data.Time',
  timestamp: 'org.apache.kafka.connect.data.Timestamp',
  variableScaleDecimal: 'io.debezium.data.VariableScaleDecimal',
} as const;

/**
 * Type of one column of a row image, for stages that convert semantic types later.
 *
 * `type` is the Connect type on the wire, `logical` the schema name when it has one, e.g.
 * `{ type: 'int64', logical: 'io.debezium.time.MicroTimestamp', optional: true }` (value: µs since
 * epoch, no time zone) or `{ type: 'struct', logical: 'io.debezium.data.VariableScaleDecimal' }`
 * (value already decoded to a decimal string).
 */
export interface ColumnType {
  type: ConnectType;
  logical?: string;
  parameters?: Record<string, string>;
  optional: boolean;
}

/** The writer schema of an envelope's row images. */
export interface EnvelopeSchema {
  /** Envelope schema name, e.g. `pos.pos.stockcurrent.Envelope` (null if the schema has none). */
  name: string | null;
  /** Column name → type, in schema order (taken from the `after` field, which `before` shares). */
  columns: Record<string, ColumnType>;
}

/** Reads a field of a Connect struct schema by name. */
export function fieldSchema(schema: ConnectSchema, name: string): ConnectSchema | undefined {
  return schema.fields?.find((f) => f.name === name)?.schema;
}

const envelopeSchemaCache = new WeakMap<ConnectSchema, EnvelopeSchema | null>();

/**
 * The {@link EnvelopeSchema} of a Debezium envelope schema (cached per schema object).
 * @returns null when the schema has no struct `after`/`before` field.
 */
export function envelopeSchemaOf(envelope: ConnectSchema): EnvelopeSchema | null {
  const cached = envelopeSchemaCache.get(envelope);
  if (cached !== undefined) return cached;
  const row = fieldSchema(envelope, 'after') ?? fieldSchema(envelope, 'before');
  let result: EnvelopeSchema | null = null;
  if (row?.type === 'struct') {
    const columns: Record<string, ColumnType> = {};
    for (const f of row.fields ?? []) {
      columns[f.name] = {
        type: f.schema.type,
        ...(f.schema.name !== undefined ? { logical: f.schema.name } : {}),
        ...(f.schema.parameters !== undefined ? { parameters: f.schema.parameters } : {}),
        optional: f.schema.optional,
      };
    }
    result = { name: envelope.name ?? null, columns };
  }
  envelopeSchemaCache.set(envelope, result);
  return result;
}

/**
 * Column types of a decoded envelope: column name → {@link ColumnType}.
 * @returns `{}` when the envelope has no schema (JSON with `schemas.enable=false`).
 */
export function columnTypes(envelope: { schema?: EnvelopeSchema | null }): Record<string, ColumnType> {
  return envelope.schema?.columns ?? {};
}

/**
 * Reads the `schema` half of a JsonConverter record (`{type, optional, name, version, parameters,
 * fields: [{field, …}], items, keys, values}`; `doc` and `default` are ignored).
 *
 * @param json - the parsed schema object (numbers may be any type: only strings and booleans are read).
 * @throws DecodeError `schema-mismatch` when it is not a Connect schema.
 */
export function connectSchemaFromJson(json: unknown, path = 'schema'): ConnectSchema {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DecodeError('schema-mismatch', `${path}: not a Connect schema object`);
  }
  const o = json as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || !CONNECT_TYPES.has(type)) {
    throw new DecodeError('schema-mismatch', `${path}: unknown Connect type ${JSON.stringify(type)}`);
  }
  const schema: ConnectSchema = { type: type as ConnectType, optional: o.optional === true };
  if (typeof o.name === 'string') schema.name = o.name;
  if (o.version !== undefined && o.version !== null) schema.version = Number(String(o.version));
  if (typeof o.parameters === 'object' && o.parameters !== null) {
    const parameters: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.parameters)) if (typeof v === 'string') parameters[k] = v;
    schema.parameters = parameters;
  }
  if (type === 'struct') {
    if (!Array.isArray(o.fields)) throw new DecodeError('schema-mismatch', `${path}: struct without fields`);
    schema.fields = o.fields.map((f, i) => {
      const name = (f as Record<string, unknown> | null)?.field;
      if (typeof name !== 'string') throw new DecodeError('schema-mismatch', `${path}.fields[${i}]: no field name`);
      return { name, schema: connectSchemaFromJson(f, `${path}.${name}`) };
    });
  } else if (type === 'array') {
    schema.items = connectSchemaFromJson(o.items, `${path}.items`);
  } else if (type === 'map') {
    schema.keys = connectSchemaFromJson(o.keys, `${path}.keys`);
    schema.values = connectSchemaFromJson(o.values, `${path}.values`);
  }
  return schema;
}
