/**
 * Reads Avro keys and values in Confluent wire format (what the Apicurio converter writes with
 * `apicurio.registry.as-confluent=true`): byte 0 = magic byte 0, bytes 1–4 = writer schema id
 * (big-endian int32; Apicurio's contentId here), then the Avro binary encoding of the datum
 * (Avro spec 1.11, "Binary Encoding"; Confluent docs, "Wire format").
 *
 * The writer schema is looked up by id through a {@link WriterSchemaLookup} — the schema registry
 * client in production, stored fixtures in tests — compiled once, and cached by id.
 */
import { compileAvroSchema, type CompiledAvroSchema } from './avro-schema.ts';
import { DecodeError } from './errors.ts';
import { convertValue, type ConvertOptions, type DecodedDatum } from './values.ts';

/**
 * Finds a writer schema by id.
 * @returns the Avro schema text (as `GET /schemas/ids/{id}` returns it in `schema`), or null when
 *   the id is unknown. Rejects only for transient failures (registry unreachable), which the
 *   decoder passes on as they are (not as DecodeError).
 */
export type WriterSchemaLookup = (schemaId: number) => Promise<string | null>;

/** Wire-format header length: magic byte + 4-byte schema id. */
const HEADER_BYTES = 5;

/** Anything that returns a schema's text by id: the registry client of `registry/registry.ts`. */
export interface SchemaTextSource {
  /** @returns the schema text, or null when the id is unknown; rejects when the registry is unreachable. */
  getSchemaText(id: number): Promise<string | null>;
}

/**
 * A lookup through the registry client (`createSchemaRegistry(url).getSchemaText`, i.e.
 * `GET /schemas/ids/{id}` with retries). The client's `getSchema(id)` cannot serve here: it returns
 * an avsc type, which has dropped the `connect.*` attributes that say which bytes are Decimals.
 */
export function registrySchemaLookup(registry: SchemaTextSource): WriterSchemaLookup {
  return (schemaId) => registry.getSchemaText(schemaId);
}

/** A lookup over schemas held in memory (tests): schema text by id. */
export function staticSchemaLookup(schemas: Record<string | number, string>): WriterSchemaLookup {
  return async (schemaId) => schemas[schemaId] ?? null;
}

/** Reads Confluent wire-format Avro keys and values. */
export interface AvroReader {
  /**
   * Decodes one key or value.
   * @throws DecodeError `bad-magic-byte`, `truncated`, `unknown-schema-id`, `unsupported-schema`,
   *   `corrupt-payload` or `schema-mismatch`; other errors are transient lookup failures.
   */
  read(payload: Buffer): Promise<DecodedDatum>;
}

/** Creates a reader that looks writer schemas up with `lookup` and caches them by id. */
export function createAvroReader(lookup: WriterSchemaLookup, options: ConvertOptions = {}): AvroReader {
  const cache = new Map<number, Promise<CompiledAvroSchema>>();
  const compiled = (schemaId: number): Promise<CompiledAvroSchema> => {
    let entry = cache.get(schemaId);
    if (!entry) {
      entry = lookup(schemaId).then((text) => {
        if (text === null) throw new DecodeError('unknown-schema-id', `schema id ${schemaId} is not in the registry`);
        return compileAvroSchema(text);
      });
      // Failures are not cached: an id unknown now may be registered later, a lookup may be retried.
      entry.catch(() => cache.delete(schemaId));
      cache.set(schemaId, entry);
    }
    return entry;
  };

  return {
    async read(payload) {
      if (payload.length === 0) throw new DecodeError('truncated', 'empty payload (expected Confluent wire format)');
      if (payload[0] !== 0) {
        throw new DecodeError('bad-magic-byte', `magic byte ${payload[0]} (expected 0, Confluent wire format)`);
      }
      if (payload.length < HEADER_BYTES) throw new DecodeError('truncated', `wire-format header is ${payload.length} bytes, expected 5`);
      const schemaId = payload.readInt32BE(1);
      const schema = await compiled(schemaId);
      const body = payload.subarray(HEADER_BYTES);
      let raw: unknown;
      try {
        raw = schema.type.fromBuffer(body);
      } catch (err) {
        const reason = isTruncation(schema, body, err) ? 'truncated' : 'corrupt-payload';
        throw new DecodeError(reason, `Avro body (schema id ${schemaId}, ${body.length} bytes) does not decode: ${(err as Error).message}`, {
          cause: err,
        });
      }
      return { datum: convertValue(schema.connect, raw, 'avro', options), schema: schema.connect };
    },
  };
}

/**
 * Whether a failed decode is a truncation: avsc says so itself, or — since a read past the end can
 * also surface as another error (e.g. a union index read from missing bytes) — the body decodes
 * once padded with zero bytes and the datum ends past the real end.
 */
function isTruncation(schema: CompiledAvroSchema, body: Buffer, err: unknown): boolean {
  if (err instanceof Error && err.message === 'truncated buffer') return true;
  try {
    const padded = Buffer.concat([body, Buffer.alloc(4096)]);
    const { offset } = schema.type.decode(padded, 0);
    return offset > body.length;
  } catch {
    return false;
  }
}
