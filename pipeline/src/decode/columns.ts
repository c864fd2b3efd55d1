/**
 * The columns of a row image as the writer schema declares them, and the helpers a mapping needs
 * to find a column by its source name and to read rows written under older schema versions.
 *
 * - Column names: Avro names must match `[A-Za-z_][A-Za-z0-9_]*` (Avro spec, "Names"), so a source
 *   column `2nd_price` arrives as `_2nd_price` — renamed by Debezium (`field.name.adjustment.mode=avro`)
 *   or by the Avro converter itself. {@link resolveColumn} finds it under either name; when the
 *   connector propagates source types (`column.propagate.source.type`), the original name is also in
 *   the schema parameter `__debezium.source.column.name` ({@link ColumnType.sourceName}).
 * - Schema evolution: after `ALTER TABLE … ADD COLUMN`, records carry a new writer schema (Avro: a
 *   new schema id; JSON: a new inline schema). Each record decodes with its own schema, so rows
 *   written before the change lack the new column; {@link withDefaults} fills them from a newer
 *   schema's defaults, as Avro schema resolution does (Avro spec, "Schema Resolution": a reader field
 *   missing from the writer's record takes its default).
 */
import { fieldSchema, type ConnectSchema } from './connect-schema.ts';
import type { ColumnType, EnvelopeSchema, FieldValue, Row } from './types.ts';
import { convertValue } from './values.ts';

const SOURCE_NAME = '__debezium.source.column.name';
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
      const s = f.schema;
      const sourceName = s.parameters?.[SOURCE_NAME];
      let defaultValue: FieldValue | undefined;
      if (s.default !== undefined) {
        try {
          defaultValue = convertValue(s, s.default.raw, s.default.wire);
        } catch {
          defaultValue = undefined; // a default that does not fit its own schema is not used
        }
      }
      columns[f.name] = {
        type: s.type,
        ...(s.name !== undefined ? { logical: s.name } : {}),
        ...(s.parameters !== undefined ? { parameters: s.parameters } : {}),
        optional: s.optional,
        ...(sourceName !== undefined && sourceName !== f.name ? { sourceName } : {}),
        ...(defaultValue !== undefined ? { default: defaultValue } : {}),
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
 * The name Avro gives a source name: characters outside `[A-Za-z0-9_]` become `_`, and a name that
 * does not start with a letter or `_` gets a leading `_` (Debezium `SchemaNameAdjuster` in `avro`
 * mode; the Apicurio/Confluent Avro converters do the same).
 * @example sanitizeAvroName('2nd_price') === '_2nd_price'; sanitizeAvroName('unit-price') === 'unit_price'
 */
export function sanitizeAvroName(name: string): string {
  const replaced = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(replaced) ? replaced : `_${replaced}`;
}

/**
 * The field name under which a source column appears in a row: the name itself, the field whose
 * propagated source name it is, or its Avro-sanitized form — in that order.
 * @param row - a row image or key.
 * @param columns - the envelope's column types (`columnTypes(envelope)`), `{}` if unknown.
 * @returns the field name, or undefined when the row has no such column.
 */
export function resolveColumn(row: Row, columns: Record<string, ColumnType>, sourceName: string): string | undefined {
  if (sourceName in row) return sourceName;
  for (const [field, type] of Object.entries(columns)) if (type.sourceName === sourceName && field in row) return field;
  const sanitized = sanitizeAvroName(sourceName);
  return sanitized in row ? sanitized : undefined;
}

/**
 * A row written under an older schema, completed to a newer one: every column of `schema` missing
 * from `row` gets its declared default (null when it has none and is optional). Columns already
 * present are kept as they are.
 * @returns a new row; `row` is not modified.
 */
export function withDefaults(row: Row, schema: EnvelopeSchema): Row {
  const out: Row = { ...row };
  for (const [name, type] of Object.entries(schema.columns)) {
    if (name in out) continue;
    if (type.default !== undefined) out[name] = type.default;
    else if (type.optional) out[name] = null;
  }
  return out;
}
