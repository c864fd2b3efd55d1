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
export type ConnectType = 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'boolean' | 'string' | 'bytes' | 'array' | 'map' | 'struct';

const CONNECT_TYPES: ReadonlySet<string> = new Set<ConnectType>([
  'int8',
  'int16',
  'int32',
  'int64',
  'float32',
  'float64',
  'boolean',
  'string',
  'bytes',
  'array',
  'map',
  'struct',
]);

/**
 * JsonConverter's names for the float types: it writes FLOAT32 as `float` and FLOAT64 as `double`
 * (`org.apache.kafka.connect.json.JsonSchema.FLOAT_TYPE_NAME` / `DOUBLE_TYPE_NAME`); every other
 * type under its lower-cased Connect name.
 */
const JSON_TYPE_NAMES: Record<string, ConnectType> = { float: 'float32', double: 'float64' };

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
  /**
   * The schema's default value as the writer schema states it, not yet converted: the JSON value of
   * Connect's `default` (JsonConverter, same encoding as the payload) or of the Avro field's
   * `default` (Avro spec, "Complex Types / Records": bytes as a string of code points 0–255).
   * Converted by `columns.ts` (`ColumnType.default`).
   */
  default?: { wire: 'avro' | 'json'; raw: unknown };
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

/** Reads a field of a Connect struct schema by name. */
export function fieldSchema(schema: ConnectSchema, name: string): ConnectSchema | undefined {
  return schema.fields?.find((f) => f.name === name)?.schema;
}

/**
 * Reads the `schema` half of a JsonConverter record (`{type, optional, name, version, parameters,
 * fields: [{field, …}], items, keys, values, default}`; `doc` is ignored).
 *
 * @param json - the parsed schema object (numbers may be any type: only strings and booleans are read).
 * @throws DecodeError `schema-mismatch` when it is not a Connect schema.
 */
export function connectSchemaFromJson(json: unknown, path = 'schema'): ConnectSchema {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DecodeError('schema-mismatch', `${path}: not a Connect schema object`);
  }
  const o = json as Record<string, unknown>;
  const type = typeof o.type === 'string' ? (JSON_TYPE_NAMES[o.type] ?? o.type) : o.type;
  if (typeof type !== 'string' || !CONNECT_TYPES.has(type)) {
    throw new DecodeError('schema-mismatch', `${path}: unknown Connect type ${JSON.stringify(o.type)}`);
  }
  const schema: ConnectSchema = { type: type as ConnectType, optional: o.optional === true };
  if (typeof o.name === 'string') schema.name = o.name;
  if (o.version !== undefined && o.version !== null) schema.version = Number(String(o.version));
  if (typeof o.parameters === 'object' && o.parameters !== null) {
    const parameters: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.parameters)) if (typeof v === 'string') parameters[k] = v;
    schema.parameters = parameters;
  }
  if ('default' in o && o.default !== null && o.default !== undefined) schema.default = { wire: 'json', raw: o.default };
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
