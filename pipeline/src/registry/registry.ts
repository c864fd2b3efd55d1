/**
 * The Confluent-compatible schema registry client (Apicurio Registry's ccompat API v7 in the local
 * stack), through `@kafkajs/confluent-schema-registry`, with three changes:
 *
 * - Avro `long` values become `bigint` — in name form (`"long"`) and in object form
 *   (`{"type": "long", "connect.name": …}`, which avsc would otherwise build with its number-only
 *   long) — because Debezium's `source.ts_ns` (about 1.7e18) and any BIGINT column can pass 2^53,
 *   where a JS number silently loses digits.
 * - Every schema is compiled with a fresh avsc name registry, so two schemas that define the same
 *   record name (every Debezium value schema of a connector defines its `Source`; a table's schema
 *   before and after an ALTER defines the same `Value`) can both be used by one client.
 * - {@link StocksyncSchemaRegistry.getSchemaText} returns a schema's text by id, for readers that
 *   need the `connect.*` attributes the avsc type drops (the decode stage).
 *
 * Wire format (Confluent): byte 0 = magic 0, bytes 1-4 = schema id (big-endian int32), then the
 * Avro binary encoding of the datum (Avro spec, "Binary Encoding").
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';

/** Network failures (no HTTP answer): Node's socket error codes, and fetch's own wording. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|bad port|timeout|aborted/i;

/**
 * A schema registry request that failed, naming the registry's URL, the request, and — when the
 * registry did not answer at all — what to check. `status` is the HTTP status when it answered;
 * `cause` the client library's error.
 */
export class SchemaRegistryError extends Error {
  readonly status: number | undefined;
  constructor(
    readonly url: string,
    request: string,
    error: unknown,
  ) {
    const { detail, status, unreachable } = explainRegistryFailure(error);
    const hint = unreachable
      ? '; check that the schema registry is running and listens there (npx stocksync stack status), or set STOCKSYNC_REGISTRY_URL (STOCKSYNC_REGISTRY_PORT for the local stack)'
      : '';
    super(`schema registry at ${url}: ${request} failed: ${detail}${hint}`, { cause: error });
    this.name = 'SchemaRegistryError';
    this.status = status;
  }
}

/** What went wrong in a registry request: fetch's TypeError (cause holds the socket error) or the library's ResponseError. */
function explainRegistryFailure(error: unknown): { detail: string; status: number | undefined; unreachable: boolean } {
  const e = error as { message?: string; status?: number; cause?: { code?: string; message?: string } };
  if (error instanceof TypeError && e.cause) {
    // fetch: "fetch failed", the socket error in `cause`.
    const { code, message = String(e.message) } = e.cause;
    return { detail: code && !message.includes(code) ? `${code}: ${message}` : message, status: undefined, unreachable: true };
  }
  // The library's ResponseError: "<client id> - <message>"; a request without an HTTP answer has status 400 and the socket error as message.
  const detail = String(e.message ?? error).replace(/^Confluent_Schema_Registry - /, '');
  const unreachable = (e.status === undefined || e.status === 400) && UNREACHABLE.test(detail);
  return { detail, status: unreachable ? undefined : e.status, unreachable };
}

/**
 * Avro long as bigint. Encoding also accepts safe-integer numbers, so canonical events built with
 * plain numbers still encode.
 */
export const bigintLongType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (json: unknown) => BigInt(json as string | number),
  toJSON: (n: bigint) => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString()),
  isValid: (n: unknown) => typeof n === 'bigint' || (typeof n === 'number' && Number.isSafeInteger(n)),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * avsc `forSchema` options with bigint longs: a new name registry on every read of `registry` (the
 * client spreads these options into each `forSchema` call), and a type hook for `long` in object form.
 */
export function bigintAvroOptions(): Partial<avro.ForSchemaOptions> {
  return {
    get registry() {
      return { long: bigintLongType } as unknown as { [name: string]: avro.Type };
    },
    typeHook: (schema: avro.Schema) =>
      typeof schema === 'object' && schema !== null && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'long'
        ? (bigintLongType as unknown as avro.Type)
        : undefined,
  };
}

/** The registry client stocksync uses: the library's, plus schema text by id. */
export class StocksyncSchemaRegistry extends SchemaRegistry {
  readonly #baseUrl: string;
  readonly #texts = new Map<number, Promise<string | null>>();

  constructor(url: string) {
    super({ host: url, retry: { retries: 3 } }, { [SchemaType.AVRO]: bigintAvroOptions() });
    this.#baseUrl = url.replace(/\/+$/, '');
  }

  /** Runs a request of the library, its failure as a {@link SchemaRegistryError}. */
  async #explained<T>(request: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw error instanceof SchemaRegistryError ? error : new SchemaRegistryError(this.#baseUrl, request, error);
    }
  }

  /** The library's `register`; a failure names the registry ({@link SchemaRegistryError}). */
  override register(...args: Parameters<SchemaRegistry['register']>): ReturnType<SchemaRegistry['register']> {
    const subject = (args[1] as { subject?: string } | undefined)?.subject;
    return this.#explained(`registering a schema${subject ? ` under subject ${subject}` : ''}`, () => super.register(...args));
  }

  /** The library's `encode`; a failure names the registry ({@link SchemaRegistryError}). */
  override encode(...args: Parameters<SchemaRegistry['encode']>): ReturnType<SchemaRegistry['encode']> {
    return this.#explained(`encoding with schema id ${args[0]}`, () => super.encode(...args));
  }

  /** The library's `decode`; a failure names the registry ({@link SchemaRegistryError}). */
  override decode(...args: Parameters<SchemaRegistry['decode']>): ReturnType<SchemaRegistry['decode']> {
    return this.#explained('decoding a Confluent wire-format payload', () => super.decode(...args));
  }

  /**
   * The schema text registered under `id` (`GET /schemas/ids/{id}` → `schema`), cached per id.
   * @returns the text, or null when the registry does not know the id (404).
   * @throws SchemaRegistryError when the registry cannot be reached (after 3 retries) or answers otherwise.
   */
  getSchemaText(id: number): Promise<string | null> {
    let entry = this.#texts.get(id);
    if (!entry) {
      entry = this.#fetchSchemaText(id);
      // Only found schemas stay cached: an unknown id may be registered later, a failure retried.
      entry.then(
        (text) => text === null && this.#texts.delete(id),
        () => this.#texts.delete(id),
      );
      this.#texts.set(id, entry);
    }
    return entry;
  }

  async #fetchSchemaText(id: number): Promise<string | null> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= 3; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      try {
        const response = await fetch(`${this.#baseUrl}/schemas/ids/${id}`, { signal: AbortSignal.timeout(10_000) });
        if (response.status === 404) return null;
        if (!response.ok) throw new Error(`GET /schemas/ids/${id} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
        const body = (await response.json()) as { schema?: unknown };
        if (typeof body.schema !== 'string') throw new Error(`GET /schemas/ids/${id} answered without a schema string`);
        return body.schema;
      } catch (err) {
        lastError = err;
      }
    }
    throw new SchemaRegistryError(this.#baseUrl, `GET /schemas/ids/${id} (4 attempts)`, lastError);
  }
}

/** Creates a registry client for a base URL such as `http://127.0.0.1:8081/apis/ccompat/v7`. */
export function createSchemaRegistry(url: string): StocksyncSchemaRegistry {
  return new StocksyncSchemaRegistry(url);
}

/** Magic byte and schema id of a Confluent wire-format payload, or null if it is not one. */
export function confluentHeader(payload: Buffer): { schemaId: number } | null {
  if (payload.length < 5 || payload[0] !== 0) return null;
  return { schemaId: payload.readInt32BE(1) };
}
