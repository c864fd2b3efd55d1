/**
 * Reads keys and values written by Kafka's `org.apache.kafka.connect.json.JsonConverter`.
 *
 * - `schemas.enable=true`: `{"schema": <Connect schema>, "payload": <value>}` (the schema format
 *   of `JsonConverter#asJsonSchema`; bytes and Decimals as base64 strings, or Decimals as JSON
 *   numbers with `decimal.format=NUMERIC`). Every value is converted by its schema, exactly.
 * - `schemas.enable=false`: the bare payload. **Limitation:** without a schema there is no type
 *   information, so Decimal stays a base64 string, VariableScaleDecimal stays `{scale, value}`,
 *   bytes stay base64 and `io.debezium.time.*` cannot be told from plain numbers; only integers
 *   are still exact (`number` or `bigint` by size). Pipelines that need exact decimals must run
 *   the JSON converter with schemas enabled (the warehouse connector does).
 *
 * Numbers are parsed losslessly (see `lossless-json.ts`), so int64 values past 2^53 keep every digit.
 * The schema half, identical in every record of a table version, is parsed once and cached by its
 * text (at most 512 distinct schemas per process).
 */
import { connectSchemaFromJson, type ConnectSchema } from './connect-schema.ts';
import { DecodeError } from './errors.ts';
import { parseJsonLossless, type JsonValue } from './lossless-json.ts';
import { convertSchemaless, convertValue, type ConvertOptions, type DecodedDatum } from './values.ts';

/**
 * Decodes one JsonConverter key or value.
 * @returns the converted datum and its Connect schema (null for a schemaless payload).
 * @throws DecodeError `invalid-json` or `schema-mismatch`.
 */
export function readJson(payload: Buffer, options: ConvertOptions = {}): DecodedDatum {
  const text = payload.toString('utf8');
  const fast = readWithCachedSchema(text, options);
  if (fast) return fast;
  const parsed = parseJsonLossless(text);
  if (isSchemaEnvelope(parsed)) {
    if (parsed.schema === null) return { datum: convertSchemaless(parsed.payload), schema: null };
    const schema = connectSchemaFromJson(parsed.schema);
    return { datum: convertValue(schema, parsed.payload, 'json', options), schema };
  }
  return { datum: convertSchemaless(parsed), schema: null };
}

/** `{schema, payload}` and nothing else: the JsonConverter envelope of `schemas.enable=true`. */
function isSchemaEnvelope(v: JsonValue): v is { schema: JsonValue; payload: JsonValue } {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !('schema' in v) || !('payload' in v)) return false;
  const keys = Object.keys(v);
  if (keys.length !== 2) return false;
  if (v.schema !== null && (typeof v.schema !== 'object' || Array.isArray(v.schema))) {
    throw new DecodeError('schema-mismatch', 'JsonConverter envelope whose schema is not an object');
  }
  return true;
}

// The JsonConverter repeats the full schema (often 10x the payload) in every record. Schemas are
// parsed once per distinct schema text and reused: records in the converter's exact layout
// `{"schema":{…},"payload":…}` are split by a string-aware brace scan, the payload alone is parsed.
const SCHEMA_PREFIX = '{"schema":{';
const PAYLOAD_SEPARATOR = ',"payload":';
const MAX_CACHED_SCHEMAS = 512;
const schemaCache = new Map<string, ConnectSchema>();

function readWithCachedSchema(text: string, options: ConvertOptions): DecodedDatum | null {
  if (!text.startsWith(SCHEMA_PREFIX)) return null;
  const schemaStart = SCHEMA_PREFIX.length - 1;
  const schemaEnd = endOfObject(text, schemaStart);
  if (schemaEnd < 0 || !text.startsWith(PAYLOAD_SEPARATOR, schemaEnd) || !text.endsWith('}')) return null;
  const schemaText = text.slice(schemaStart, schemaEnd);
  let schema = schemaCache.get(schemaText);
  if (!schema) {
    schema = connectSchemaFromJson(parseJsonLossless(schemaText));
    if (schemaCache.size >= MAX_CACHED_SCHEMAS) schemaCache.clear();
    schemaCache.set(schemaText, schema);
  }
  const payload = parseJsonLossless(text.slice(schemaEnd + PAYLOAD_SEPARATOR.length, text.length - 1));
  return { datum: convertValue(schema, payload, 'json', options), schema };
}

/**
 * Index just past the object that opens at `start` (`text[start] === '{'`), skipping strings;
 * -1 if it does not close. Only splits the text: both halves are then parsed strictly.
 */
function endOfObject(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip the string, honouring backslash escapes
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
