/**
 * `stocksync decode`, spawned as a user runs it, on captured records of each format: Avro with the
 * writer schema from the stack's registry (registered there under a test subject; the record's
 * schema id is rewritten to the id the registry gives it), Avro with stored schemas (`--schemas`),
 * and JSON; value from a file or standard input, key optional, raw/base64/hex.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { parseJsonLossless, type JsonValue } from '../../src/decode/lossless-json.ts';
import { projectRoot } from '../../src/config/project-root.ts';
import { confluentHeader, createSchemaRegistry } from '../../src/registry/registry.ts';
import { capturedSchemas, TYPES_FIXTURES_DIR } from '../fixtures/captured.ts';
import { theChange } from './captured-records.ts';

const run = promisify(execFile);
const CLI = path.join(projectRoot, 'pipeline/bin/stocksync.js');
let dir: string;

/** Runs the CLI; resolves with stdout, stderr and the exit code. */
async function stocksync(args: string[], stdin?: Buffer): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = run(process.execPath, [CLI, ...args], { cwd: projectRoot, env: process.env, maxBuffer: 16 * 1024 * 1024 });
  if (stdin) {
    child.child.stdin!.end(stdin);
  } else {
    child.child.stdin!.end();
  }
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const write = (name: string, bytes: Buffer | string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
};
const field = (json: JsonValue, ...keys: string[]): JsonValue => keys.reduce((v, k) => (v as Record<string, JsonValue>)[k]!, json);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocksync-decode-cli-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('stocksync decode', () => {
  it('Avro: schema fetched by id from the registry (STOCKSYNC_REGISTRY_URL), key decoded too', async () => {
    const { record } = await theChange('mariadb-avro', 'types', 'c', 101);
    const registry = createSchemaRegistry(stackEndpoints().registryUrl);
    const schemas = capturedSchemas();
    // Register the captured writer schemas on this stack and point the bytes at the ids it gives.
    const reId = async (bytes: Buffer, subject: string) => {
      const { id } = await registry.register({ type: SchemaType.AVRO, schema: schemas[confluentHeader(bytes)!.schemaId]! }, { subject });
      const copy = Buffer.from(bytes);
      copy.writeInt32BE(id, 1);
      return copy;
    };
    const subject = `stocksync-decode-cli-test-${Date.now()}`;
    const value = await reId(record.value!, `${subject}-value`);
    const key = await reId(record.key!, `${subject}-key`);
    const out = await stocksync(['decode', write('v.bin', value), '--key', write('k.bin', key), '--format', 'avro', '--topic', record.topic]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const json = parseJsonLossless(out.stdout);
    expect(field(json, 'kind')).toBe('change');
    expect(field(json, 'key')).toEqual({ id: expect.objectContaining({ text: '101' }) });
    expect(field(json, 'envelope', 'op')).toBe('c');
    expect(field(json, 'envelope', 'after', 'dec_b')).toBe('-12345678901234567890.1234567890');
    expect((field(json, 'envelope', 'after', 'big') as { text: string }).text).toBe('9223372036854775807');
    expect(field(json, 'envelope', 'after', 'dt0')).toBe('2026-03-29T02:30:00');
    expect(field(json, 'envelope', 'after', 'ts6')).toBe('2026-01-02T01:04:05.123456Z');
    expect(field(json, 'envelope', 'after', 'tiny1_typed')).toBe(true);
    expect(field(json, 'envelope')).not.toHaveProperty('schema');
  });

  it('Avro from standard input in base64, schemas from a stored file, markers printed as tagged JSON', async () => {
    const { record } = await theChange('mariadb-avro', 'types', 'c', 102);
    const out = await stocksync(
      ['decode', '--format', 'avro', '--encoding', 'base64', '--schemas', path.join(TYPES_FIXTURES_DIR, 'registry-schemas.json'), '--schema'],
      Buffer.from(record.value!.toString('base64')),
    );
    expect(out.code).toBe(0);
    const json = parseJsonLossless(out.stdout);
    expect(field(json, 'key')).toBeNull();
    expect(field(json, 'envelope', 'after', 'ts0')).toEqual({ $unknown: 'zero-date' });
    expect(field(json, 'envelope', 'schema', 'columns', 'ts0', 'logical')).toBe('io.debezium.time.ZonedTimestamp');
  });

  it('JSON with schemas, hex-encoded, unchanged TOAST columns shown as such', async () => {
    const { record } = await theChange('postgres-json', 'toasty', 'u', 2);
    const out = await stocksync([
      'decode',
      write('v.hex', record.value!.toString('hex')),
      '--key',
      write('k.hex', record.key!.toString('hex')),
      '--format',
      'json',
      '--encoding',
      'hex',
    ]);
    expect(out.code).toBe(0);
    const json = parseJsonLossless(out.stdout);
    expect(field(json, 'key')).toEqual({ id: expect.objectContaining({ text: '2' }) });
    expect(field(json, 'envelope', 'after', 'big_text')).toEqual({ $unchanged: true });
    expect(field(json, 'envelope', 'after', 'qty')).toBe('2.5');
    expect(field(json, 'envelope', 'source', 'connector')).toBe('postgresql');
  });

  it('a record that cannot be decoded: exit 2 and the reason', async () => {
    const { record } = await theChange('postgres-json', 'toasty', 'u', 2);
    const out = await stocksync(['decode', write('wrong.bin', record.value!), '--format', 'avro']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/cannot decode \(bad-magic-byte\)/);
    const bad = await stocksync(['decode', write('x.bin', 'x'), '--format', 'xml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--format must be avro or json/);
  });
});
