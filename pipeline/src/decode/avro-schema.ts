/**
 * Avro writer schemas, as the Kafka Connect Avro converters write them, compiled for decoding.
 *
 * The converter (Apicurio's `AvroConverter`, like Confluent's `AvroData`) maps each Connect schema
 * to Avro and keeps what Avro cannot say in attributes: `connect.name` (logical or struct name),
 * `connect.version`, `connect.parameters` (string map), `connect.type` (`int8`/`int16` on an Avro
 * `int`), `connect.default`. Decimal also gets Avro's own `logicalType: decimal` with `scale` and
 * `precision` (Avro spec 1.11, "Logical Types / Decimal"). Optional fields are unions with `null`.
 *
 * {@link compileAvroSchema} reads the schema text twice: into an avsc `Type` that decodes the Avro
 * binary (Avro spec, "Binary Encoding") with every `long` as `bigint`, and into a
 * {@link ConnectSchema} that tells the value converter what each value means.
 */
import avro from 'avsc';
import { bigintLongType } from '../registry/registry.ts';
import { LOGICAL, type ConnectSchema, type ConnectType } from './connect-schema.ts';
import { DecodeError } from './errors.ts';

/** An Avro schema as JSON (Avro spec, "Schema Declaration"). */
export type AvroSchemaJson = string | AvroSchemaJson[] | { [k: string]: unknown };

/** A writer schema ready to decode with. */
export interface CompiledAvroSchema {
  /** Decodes the Avro binary body (no wire-format header); longs are `bigint`, unions unwrapped. */
  type: avro.Type;
  /** The same schema as Kafka Connect types. */
  connect: ConnectSchema;
}

const AVRO_PRIMITIVE_TO_CONNECT: Record<string, ConnectType> = {
  int: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
};

/** Avro logical types without `connect.name` (written by non-Connect producers) → Connect names. */
const AVRO_LOGICAL_TO_CONNECT: Record<string, string> = {
  decimal: LOGICAL.decimal,
  date: LOGICAL.date,
  'time-millis': LOGICAL.time,
  'timestamp-millis': LOGICAL.timestamp,
};

/**
 * Compiles a writer schema.
 *
 * @param schemaText - the schema as the registry returns it (`GET /schemas/ids/{id}` → `schema`).
 * @throws DecodeError `unsupported-schema` when the text is not a valid Avro schema or uses a
 *   union of several non-null types (which Kafka Connect never writes).
 */
export function compileAvroSchema(schemaText: string): CompiledAvroSchema {
  let json: AvroSchemaJson;
  try {
    json = JSON.parse(schemaText) as AvroSchemaJson;
  } catch (err) {
    throw new DecodeError('unsupported-schema', `writer schema is not JSON: ${(err as Error).message}`, { cause: err });
  }
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema, {
      // A fresh name registry per schema: avsc refuses a second definition of a name, and every
      // Debezium schema of a connector defines the same `Source` record.
      registry: { long: bigintLongType },
      // `{"type": "long", "connect.name": …}` (object form) would bypass the registry above and
      // decode with avsc's number-only long, which throws past 2^53: route it to bigint too.
      typeHook: (schema) =>
        typeof schema === 'object' && schema !== null && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'long' ? bigintLongType : undefined,
      wrapUnions: 'auto',
    });
  } catch (err) {
    throw new DecodeError('unsupported-schema', `invalid Avro writer schema: ${(err as Error).message}`, { cause: err });
  }
  const connect = toConnect(json, new Map(), undefined, false);
  return { type, connect };
}

/**
 * Maps an Avro schema to the Connect schema the converter made it from (inverse of the
 * converter's `fromConnectSchema`).
 */
function toConnect(schema: AvroSchemaJson, named: Map<string, ConnectSchema>, namespace: string | undefined, optional: boolean): ConnectSchema {
  if (typeof schema === 'string') {
    const primitive = AVRO_PRIMITIVE_TO_CONNECT[schema];
    if (primitive) return { type: primitive, optional };
    const ref = named.get(qualify(schema, namespace)) ?? named.get(schema);
    if (!ref) throw new DecodeError('unsupported-schema', `undefined Avro type name ${schema}`);
    return { ...ref, optional };
  }
  if (Array.isArray(schema)) {
    const branches = schema.filter((b) => b !== 'null');
    if (branches.length !== 1) {
      throw new DecodeError('unsupported-schema', `Avro union of ${branches.length} non-null types: ${JSON.stringify(schema).slice(0, 200)}`);
    }
    return toConnect(branches[0]!, named, namespace, optional || branches.length < schema.length);
  }
  const o = schema;
  const avroType = o.type;
  const attrs = connectAttributes(o);
  if (typeof avroType === 'object' && avroType !== null) {
    // `{"type": {…}}` — a schema wrapped in an object.
    return toConnect(avroType as AvroSchemaJson, named, namespace, optional);
  }
  switch (avroType) {
    case 'record': {
      const ns = typeof o.namespace === 'string' ? o.namespace : namespace;
      const fullName = qualify(String(o.name), ns);
      const recordNs = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
      const struct: ConnectSchema = { type: 'struct', optional: false, name: attrs.name ?? fullName, fields: [] };
      if (attrs.version !== undefined) struct.version = attrs.version;
      if (attrs.parameters) struct.parameters = attrs.parameters;
      named.set(fullName, struct);
      for (const f of (o.fields as Array<{ name: string; type: AvroSchemaJson; default?: unknown }>) ?? []) {
        let fieldSchema = toConnect(f.type, named, recordNs, false);
        if (f.default !== undefined && f.default !== null) {
          fieldSchema = { ...fieldSchema, default: { wire: 'avro', raw: avroDefaultToDatum(f.type, f.default) } };
        }
        struct.fields!.push({ name: f.name, schema: fieldSchema });
      }
      return optional ? { ...struct, optional } : struct;
    }
    case 'enum': {
      const ns = typeof o.namespace === 'string' ? o.namespace : namespace;
      const s: ConnectSchema = { type: 'string', optional: false, ...connectNameParams(attrs) };
      named.set(qualify(String(o.name), ns), s);
      return { ...s, optional };
    }
    case 'fixed': {
      const ns = typeof o.namespace === 'string' ? o.namespace : namespace;
      const s: ConnectSchema = { type: 'bytes', optional: false, ...connectNameParams(attrs) };
      if (o.logicalType === 'decimal') decimalLogical(s, o);
      named.set(qualify(String(o.name), ns), s);
      return { ...s, optional };
    }
    case 'array':
      return { type: 'array', optional, items: toConnect(o.items as AvroSchemaJson, named, namespace, false), ...connectNameParams(attrs) };
    case 'map':
      return {
        type: 'map',
        optional,
        keys: { type: 'string', optional: false },
        values: toConnect(o.values as AvroSchemaJson, named, namespace, false),
        ...connectNameParams(attrs),
      };
    default: {
      const primitive = typeof avroType === 'string' ? AVRO_PRIMITIVE_TO_CONNECT[avroType] : undefined;
      if (!primitive) {
        if (typeof avroType === 'string') return toConnect(avroType, named, namespace, optional);
        throw new DecodeError('unsupported-schema', `unknown Avro type ${JSON.stringify(avroType)}`);
      }
      let type: ConnectType = primitive;
      if (primitive === 'int32' && (attrs.connectType === 'int8' || attrs.connectType === 'int16')) type = attrs.connectType;
      const s: ConnectSchema = { type, optional, ...connectNameParams(attrs) };
      const logicalType = typeof o.logicalType === 'string' ? o.logicalType : undefined;
      if (logicalType === 'decimal') decimalLogical(s, o);
      else if (logicalType && s.name === undefined && AVRO_LOGICAL_TO_CONNECT[logicalType]) s.name = AVRO_LOGICAL_TO_CONNECT[logicalType];
      return s;
    }
  }
}

/**
 * A field default as written in the schema (JSON) → the datum avsc would decode for it (Avro spec,
 * "Complex Types / Records", default values): a union's default is of its first branch; `bytes` and
 * `fixed` defaults are strings of code points 0–255; `long` becomes bigint like every decoded long.
 * Named-type references are returned as written.
 */
function avroDefaultToDatum(type: AvroSchemaJson, value: unknown): unknown {
  if (value === null) return null;
  if (Array.isArray(type)) return type.length > 0 ? avroDefaultToDatum(type[0]!, value) : value;
  const name = typeof type === 'string' ? type : typeof type.type === 'string' ? type.type : undefined;
  if (typeof type === 'object' && typeof type.type === 'object' && type.type !== null) return avroDefaultToDatum(type.type as AvroSchemaJson, value);
  switch (name) {
    case 'bytes':
    case 'fixed':
      return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    case 'long':
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
    case 'record': {
      if (typeof value !== 'object' || typeof type !== 'object' || Array.isArray(type)) return value;
      const out: Record<string, unknown> = {};
      for (const f of (type.fields as Array<{ name: string; type: AvroSchemaJson }>) ?? []) {
        out[f.name] = avroDefaultToDatum(f.type, (value as Record<string, unknown>)[f.name] ?? null);
      }
      return out;
    }
    case 'array':
      return Array.isArray(value) && typeof type === 'object' && !Array.isArray(type)
        ? value.map((v) => avroDefaultToDatum(type.items as AvroSchemaJson, v))
        : value;
    case 'map':
      return typeof value === 'object' && typeof type === 'object' && !Array.isArray(type)
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, avroDefaultToDatum(type.values as AvroSchemaJson, v)]))
        : value;
    default:
      return value;
  }
}

/**
 * Avro `logicalType: decimal` → Connect Decimal. The scale is `connect.parameters.scale` when the
 * converter wrote it, else the Avro `scale` attribute (default 0, Avro spec).
 */
function decimalLogical(s: ConnectSchema, o: Record<string, unknown>): void {
  s.name ??= LOGICAL.decimal;
  if (s.parameters?.scale === undefined) {
    const scale = typeof o.scale === 'number' ? o.scale : 0; // Avro spec: scale defaults to 0
    s.parameters = { ...(s.parameters ?? {}), scale: String(scale) };
  }
}

interface ConnectAttributes {
  name?: string;
  version?: number;
  parameters?: Record<string, string>;
  connectType?: string;
}

function connectAttributes(o: Record<string, unknown>): ConnectAttributes {
  const attrs: ConnectAttributes = {};
  if (typeof o['connect.name'] === 'string') attrs.name = o['connect.name'];
  if (typeof o['connect.version'] === 'number') attrs.version = o['connect.version'];
  if (typeof o['connect.type'] === 'string') attrs.connectType = o['connect.type'];
  const params = o['connect.parameters'];
  if (typeof params === 'object' && params !== null) {
    attrs.parameters = {};
    for (const [k, v] of Object.entries(params)) if (typeof v === 'string') attrs.parameters[k] = v;
  }
  return attrs;
}

function connectNameParams(attrs: ConnectAttributes): Pick<ConnectSchema, 'name' | 'version' | 'parameters'> {
  return {
    ...(attrs.name !== undefined ? { name: attrs.name } : {}),
    ...(attrs.version !== undefined ? { version: attrs.version } : {}),
    ...(attrs.parameters !== undefined ? { parameters: attrs.parameters } : {}),
  };
}

function qualify(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}
