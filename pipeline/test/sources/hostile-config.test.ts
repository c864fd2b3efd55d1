/**
 * Issue 17 part 1: a string from a mapping file, the channel rules or the environment is never
 * spliced into SQL (docs/design.md invariant 8). Hostile values (quotes, semicolons, comments,
 * newlines) are refused by the checks with file, line and field, before anything connects: the
 * POS endpoint points at a port where nothing listens, so a connection attempt would show up as a
 * second problem. No server is needed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChannelsConfigError, defaultChannelsFile, loadChannelsConfig } from '../../src/channels/config.ts';
import { mappingsDir } from '../../src/normalize/mapping.ts';
import { checkSources } from '../../src/sources/check.ts';

const HOSTILE = [
  `pos"; DROP TABLE products; --`,
  `pos'; DROP TABLE products; #`,
  'pos`; DROP TABLE products; -- ',
  'pos/* comment */',
  'pos\nDROP TABLE products',
  'pos,mysql',
];

const shippedPos = fs.readFileSync(path.join(mappingsDir, 'pos.yaml'), 'utf8');
const shippedChannels = fs.readFileSync(defaultChannelsFile, 'utf8');
let dir: string;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Line (1-based) of the first line containing `needle` in `text`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-config-'));
  // Nothing listens on port 1: any connection attempt would be reported as a problem of its own.
  vi.stubEnv('STOCKSYNC_POS_HOST', '127.0.0.1');
  vi.stubEnv('STOCKSYNC_POS_PORT', '1');
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('sources check refuses hostile configuration before anything runs', () => {
  it.each(HOSTILE)('a topic_prefix that is not a Kafka topic name: %j', async (suffix) => {
    const text = shippedPos.replace('topic_prefix: pos.pos', `topic_prefix: ${JSON.stringify(`pos.${suffix}`)}`);
    const file = write('hostile.yaml', text);
    const problems = await checkSources([file]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: lineOf(text, 'topic_prefix:'), column: 15 });
    expect(problems[0]!.message).toBe('/topic_prefix: must match pattern "^[a-zA-Z0-9._-]+$"');
  });

  it.each(HOSTILE)('a database name from the environment spliced into the connector config: %j', async (database) => {
    vi.stubEnv('STOCKSYNC_POS_DATABASE', database);
    const file = write('pos.yaml', shippedPos);
    for (const offline of [false, true]) {
      const problems = await checkSources([file], { offline });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ file, line: lineOf(shippedPos, 'connector:') });
      expect(problems[0]!.message).toBe(
        `${path.join(mappingsDir, '..', '..', 'connectors', 'debezium', 'pos.json')}: database.include.list uses \${STOCKSYNC_POS_DATABASE}, whose value ${JSON.stringify(database)} is not a database name (letters, digits, '_', '-'); fix STOCKSYNC_POS_DATABASE`,
      );
    }
  });

  it('a password is a whole value, never spliced: any characters pass the check of the config', async () => {
    vi.stubEnv('STOCKSYNC_POS_PASSWORD', HOSTILE.join(''));
    const problems = await checkSources([write('pos.yaml', shippedPos)]);
    // The one problem is the connection refused on port 1: the config itself was accepted.
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/ECONNREFUSED 127\.0\.0\.1:1/);
  });
});

describe('channels check refuses hostile channel rules', () => {
  it.each(HOSTILE)('a channel table that is not a plain identifier: %j', (suffix) => {
    const table = `channel_stock${suffix}`;
    const text = shippedChannels.replace(
      'store: { kind: postgres, endpoint: marketplace, table: channel_stock }',
      `store: { kind: postgres, endpoint: marketplace, table: ${JSON.stringify(table)} }`,
    );
    expect(text).not.toBe(shippedChannels);
    const file = write('channels.yaml', text);
    let error: unknown;
    try {
      loadChannelsConfig(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChannelsConfigError);
    const problems = (error as ChannelsConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: lineOf(text, 'endpoint: marketplace') });
    expect(problems[0]!.message).toMatch(/^\/channels\/marketplace\/store\/table: must match pattern/);
  });

  it.each(HOSTILE)('an endpoint name that is not a plain name: %j', (suffix) => {
    const text = shippedChannels.replace('endpoint: webshop,', `endpoint: ${JSON.stringify(`webshop${suffix}`)},`);
    expect(text).not.toBe(shippedChannels);
    const file = write('channels.yaml', text);
    expect(() => loadChannelsConfig(file)).toThrow(/channels\.yaml:\d+:\d+: \/channels\/webshop\/store\/endpoint: must match pattern/);
  });
});
