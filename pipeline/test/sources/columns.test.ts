/**
 * Issue 16 (faults): the shipped connectors capture only the columns the mapping files read
 * (`column.include.list`), so a huge value in a column no mapping uses never reaches Kafka; and
 * `sources check` reports, with file:line:column, a column a mapping reads that its connector
 * does not capture. Offline: only the mapping files and the connector configs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMapping, mappingsDir } from '../../src/normalize/index.ts';
import { checkSources } from '../../src/sources/check.ts';
import { columnsRead, inRegexList, uncapturedColumns } from '../../src/sources/columns.ts';
import { connectorOf } from '../../src/sources/source-database.ts';

/** Every shipped mapping file, the alternatives under variants/ included. */
const mappingFiles = [
  ...fs
    .readdirSync(mappingsDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(mappingsDir, f)),
  ...fs
    .readdirSync(path.join(mappingsDir, 'variants'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(mappingsDir, 'variants', f)),
];

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('captured columns', () => {
  it('every shipped connector captures every column its mapping files read, and only what some mapping reads', () => {
    const readByConnector = new Map<string, Set<string>>();
    const connectors = new Map<string, ReturnType<typeof connectorOf>>();
    for (const file of mappingFiles) {
      const mapping = loadMapping(file);
      const connector = connectorOf(mapping)!;
      expect(uncapturedColumns(mapping, connector), file).toEqual([]);
      const namespace = mapping.topic_prefix.slice(`${connector.config['topic.prefix']}.`.length);
      const read = readByConnector.get(connector.name) ?? new Set<string>();
      for (const r of columnsRead(mapping)) read.add(`${namespace}.${r.table}.${r.column}`);
      readByConnector.set(connector.name, read);
      connectors.set(connector.name, connector);
    }
    // The other way round: the column.include.list of each connector names no column no mapping reads,
    // but for Debezium's signal table (signal.data.collection: id, type, data; docs/reconciliation.md).
    for (const [name, read] of readByConnector) {
      const signalTable = connectors.get(name)!.config['signal.data.collection'];
      expect(signalTable, name).toBeTruthy();
      for (const column of ['id', 'type', 'data']) read.add(`${signalTable}.${column}`);
      const include = connectors.get(name)!.config['column.include.list']!;
      expect(include, name).toBeTruthy();
      for (const entry of include.split(',')) {
        const match = /^(.*)\.\(([^)]*)\)$/.exec(entry)!;
        for (const column of match[2]!.split('|')) expect(read, `${name}: ${match[1]}.${column}`).toContain(`${match[1]}.${column}`);
      }
    }
  });

  it('`sources check --offline` passes on the shipped files', async () => {
    expect(
      await checkSources(
        mappingFiles.filter((f) => !f.includes('/variants/')),
        { offline: true },
      ),
    ).toEqual([]);
  });

  it('reports a column the mapping reads that the connector does not capture, where the mapping names it', () => {
    const file = path.join(mappingsDir, 'pos.yaml');
    const mapping = loadMapping(file);
    const connector = connectorOf(mapping)!;
    const without = {
      ...connector,
      config: {
        ...connector.config,
        'column.include.list': connector.config['column.include.list']!.replace('attributesetinstance_id|units', 'attributesetinstance_id'),
      },
    };
    const problems = uncapturedColumns(mapping, without);
    const text = fs.readFileSync(file, 'utf8');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: lineOf(text, 'on_hand: { column: units') });
    expect(problems[0]!.message).toBe(
      `levels.stockcurrent.on_hand: column "units" of ${mapping.topic_prefix.slice(4)}.stockcurrent is not captured by connector stocksync-pos (not in its column.include.list)`,
    );
    expect(problems[0]!.hint).toBe(`add ${mapping.topic_prefix.slice(4)}.stockcurrent.units to column.include.list in the connector config`);
  });

  it('reports a key column left out (the row key of a table keyed by message.key.columns)', () => {
    const mapping = loadMapping(path.join(mappingsDir, 'pos.yaml'));
    const connector = connectorOf(mapping)!;
    const without = {
      ...connector,
      config: {
        ...connector.config,
        'column.include.list': connector.config['column.include.list']!.replace('(location|product|attributesetinstance_id|units)', '(location|product|units)'),
      },
    };
    const [p] = uncapturedColumns(mapping, without);
    expect(p!.message).toContain('levels.stockcurrent.row_key: column "attributesetinstance_id"');
  });

  it('matches Debezium lists as whole-name regular expressions', () => {
    expect(inRegexList('pos.stockcurrent.(units|location)', 'pos.stockcurrent.units')).toBe(true);
    expect(inRegexList('pos.stockcurrent.(units|location)', 'pos.stockcurrent.units_old')).toBe(false);
    expect(inRegexList('pos.stockcurrent.(units|location)', 'POS.stockcurrent.UNITS')).toBe(true);
    expect(inRegexList(undefined, 'pos.stockcurrent.units')).toBe(false);
  });
});
