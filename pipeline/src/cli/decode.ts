import fs from 'node:fs';
import type { Command } from 'commander';
import { stackEndpoints } from '../config/endpoints.ts';
import { createDecoder, DecodeError, staticSchemaLookup, type DecodedRecord } from '../decode/index.ts';
import { printJson } from '../decode/index.ts';
import { createSchemaRegistry } from '../registry/registry.ts';

type Encoding = 'raw' | 'base64' | 'hex';

interface DecodeOptions {
  format: string;
  key?: string;
  topic: string;
  encoding: string;
  schemas?: string;
  schema?: boolean;
}

/** Reads a file (`-` = standard input) and turns its content into bytes per `encoding`. */
function readBytes(file: string, encoding: Encoding): Buffer {
  const content = fs.readFileSync(file === '-' ? 0 : file);
  if (encoding === 'raw') return content;
  const text = content.toString('utf8').replace(/\s+/g, '');
  if (encoding === 'hex') {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new Error(`${file}: not hex`);
    return Buffer.from(text, 'hex');
  }
  return Buffer.from(text, 'base64');
}

/** `{"<id>": {"schema": "<text>"}}` (registry-schemas.json) or `{"<id>": "<text>"}`. */
function readSchemas(file: string): Record<string, string> {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string | { schema: string }>;
  return Object.fromEntries(Object.entries(parsed).map(([id, s]) => [id, typeof s === 'string' ? s : s.schema]));
}

/** The decoded record without the envelope's column types unless asked for. */
function shown(decoded: DecodedRecord, withSchema: boolean): unknown {
  if (decoded.kind !== 'change' || withSchema) return decoded;
  const { schema: _schema, ...envelope } = decoded.envelope;
  return { ...decoded, envelope };
}

/** `stocksync decode`. */
export function register(program: Command): void {
  program
    .command('decode')
    .description('decode one Kafka record (value bytes, optionally the key) and print the Debezium envelope as JSON')
    .argument('[file]', 'file holding the value bytes (- or none: standard input; empty: a tombstone)', '-')
    .requiredOption('--format <format>', 'avro (Confluent wire format, schemas from the registry) or json (JsonConverter)')
    .option('--key <file>', 'file holding the key bytes')
    .option('--topic <topic>', 'the topic it came from (heartbeat and transaction topics are told by name)', '')
    .option('--encoding <encoding>', 'how the files hold the bytes: raw, base64 or hex', 'raw')
    .option('--schemas <file>', 'Avro writer schemas by id from a JSON file instead of the registry (STOCKSYNC_REGISTRY_URL)')
    .option('--schema', 'also print the column types of the row images')
    .action(async (file: string, options: DecodeOptions) => {
      if (options.format !== 'avro' && options.format !== 'json') throw new Error(`--format must be avro or json, not ${options.format}`);
      if (!['raw', 'base64', 'hex'].includes(options.encoding)) throw new Error(`--encoding must be raw, base64 or hex, not ${options.encoding}`);
      const encoding = options.encoding as Encoding;
      const value = readBytes(file, encoding);
      const key = options.key === undefined ? null : readBytes(options.key, encoding);
      const registry =
        options.format === 'json'
          ? undefined
          : options.schemas
            ? staticSchemaLookup(readSchemas(options.schemas))
            : createSchemaRegistry(stackEndpoints().registryUrl);
      const decoder = createDecoder({ format: options.format, registry });
      try {
        const decoded = await decoder.decode({
          topic: options.topic,
          partition: 0,
          offset: '0',
          timestamp: 0,
          headers: {},
          key,
          value: value.length === 0 ? null : value,
        });
        console.log(printJson(shown(decoded, options.schema === true)));
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        console.error(`stocksync decode: cannot decode (${err.reason}): ${err.message}`);
        process.exitCode = 2;
      }
    });
}
