/**
 * Issue 16 item 6: channel rules that passed `channels check` and broke (or silently did nothing) at
 * run time — a store of `kind: postgres` on the MariaDB `webshop` endpoint, and location patterns
 * that match no location any source is authoritative for. No server: the check and the CLI read
 * files only.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { channelEndpoint, checkChannelsConfig, defaultChannelsFile, loadChannelsConfig } from '../../src/channels/config.ts';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { projectRoot } from '../../src/config/project-root.ts';
import { loadMappings } from '../../src/normalize/mapping.ts';

const shipped = fs.readFileSync(defaultChannelsFile, 'utf8');
const endpoints = stackEndpoints({});
const sources = loadMappings();

function writeConfig(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'channels-check-')), 'channels.yaml');
  fs.writeFileSync(file, text);
  return file;
}

/** The marketplace channel selling from OUTLET-* only, a location no shipped source holds. */
const outletOnly = () =>
  shipped.replace('locations: ["WH*/Stock"]\n', 'locations: ["OUTLET-*"]\n').replace('by_location: { "WH2/Stock": 3 }', 'by_location: { "OUTLET-1": 3 }');

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('channels check against the endpoint convention and the sources', () => {
  it('passes on the shipped channels', () => {
    expect(checkChannelsConfig(loadChannelsConfig(), sources, endpoints)).toEqual({ problems: [], warnings: [] });
  });

  it('a postgres store on the MariaDB webshop endpoint is a problem at its kind, and cannot be resolved at run time', () => {
    const text = shipped.replace(
      'store: { kind: mariadb, endpoint: webshop, table: channel_stock }',
      'store:\n      kind: postgres\n      endpoint: webshop\n      table: channel_stock',
    );
    const file = writeConfig(text);
    const { problems } = checkChannelsConfig(loadChannelsConfig(file), sources, endpoints);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: lineOf(text, '      kind: postgres'), column: 13 });
    expect(problems[0]!.message).toBe(
      'channels.webshop.store: store kind postgres does not fit endpoint "webshop", a mariadb database (127.0.0.1:3306, STOCKSYNC_WEBSHOP_*)',
    );
    expect(() => channelEndpoint({ kind: 'postgres', endpoint: 'webshop' }, endpoints)).toThrow(/store kind postgres does not fit endpoint "webshop"/);
    expect(() => channelEndpoint({ kind: 'mariadb', endpoint: 'warehouse' }, endpoints)).toThrow(/a postgres database/);
  });

  it('a channel whose patterns match no source location is a problem; one dead pattern beside live ones a warning', () => {
    const none = outletOnly();
    expect(none).not.toBe(shipped);
    const file = writeConfig(none);
    const { problems, warnings } = checkChannelsConfig(loadChannelsConfig(file), sources, endpoints);
    expect(warnings).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: lineOf(none, 'locations: ["OUTLET-*"]') });
    expect(problems[0]!.message).toMatch(
      /^channels\.marketplace\.locations: no pattern matches a location any source is authoritative for \(.*pos STORE-\*.*\): the channel would never have stock$/,
    );

    const some = shipped.replace('locations: ["WH*/Stock"]\n', 'locations: ["WH*/Stock", "OUTLET-*"]\n');
    const partial = checkChannelsConfig(loadChannelsConfig(writeConfig(some)), sources, endpoints);
    expect(partial.problems).toEqual([]);
    expect(partial.warnings.map((w) => w.message)).toEqual([
      'channels.marketplace.locations: "OUTLET-*" matches no location any source is authoritative for; it will never have stock',
    ]);
  });

  it('the CLI exits 1 with file:line:column and a hint', { timeout: 60_000 }, async () => {
    const text = outletOnly();
    const file = writeConfig(text);
    const run = promisify(execFile)(process.execPath, [path.join(projectRoot, 'pipeline/bin/stocksync.js'), 'channels', 'check', file], { cwd: projectRoot });
    const error = (await run.then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    ))!;
    expect(error).not.toBeNull();
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(`channels.yaml:${lineOf(text, 'OUTLET-*')}:`);
    expect(error.stderr).toContain('error: channels.marketplace.locations: no pattern matches');
    expect(error.stderr).toContain('  hint: ');
  });
});
