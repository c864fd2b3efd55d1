/**
 * Issue 5: `stocksync sources check` passes on the shipped mapping files and fails, with
 * file:line:column and a fix hint, on each kind of mistake — checked against the live sources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type mysql from 'mysql2/promise';
import { checkSources } from '../../src/sources/check.ts';
import { snapshotRowCount } from '../../src/sources/source-database.ts';
import { loadMapping, mappingsDir } from '../../src/normalize/mapping.ts';
import { projectRoot } from '../../src/config/project-root.ts';
import { posConnection, warehouseClient } from '../helpers/sources.ts';

const shippedPos = fs.readFileSync(path.join(mappingsDir, 'pos.yaml'), 'utf8');
const shippedWarehouse = fs.readFileSync(path.join(mappingsDir, 'warehouse.yaml'), 'utf8');
let dir: string;
let pos: mysql.Connection;

/** Writes a mapping file variant; returns its path. */
function variant(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Line (1-based) of the first line containing `needle` in `text`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sources-check-'));
  pos = await posConnection();
  const wms = await warehouseClient();
  await wms.end();
  // A table the POS connector does not capture.
  await pos.query('CREATE TABLE IF NOT EXISTS uncaptured_stock (id varchar(40) PRIMARY KEY, product varchar(255), location varchar(255), units double)');
});

afterAll(async () => {
  await pos?.end();
});

describe('stocksync sources check', () => {
  it('passes on the shipped mapping files (CLI exit status 0)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(projectRoot, 'pipeline/bin/stocksync.js'), 'sources', 'check'], {
      cwd: projectRoot,
    });
    expect(stdout).toMatch(/mapping files OK/);
  });

  it('fails with exit status 1 and file:line:column on the CLI', async () => {
    const file = variant('typo.yaml', shippedWarehouse.replace('row_key: [id]', 'row_keys: [id]'));
    const run = promisify(execFile)(process.execPath, [path.join(projectRoot, 'pipeline/bin/stocksync.js'), 'sources', 'check', file], { cwd: projectRoot });
    const error = (await run.then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    ))!;
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(`typo.yaml:${lineOf(shippedWarehouse, 'row_key: [id]')}:5: error: /levels/stock_quant: unknown key "row_keys"`);
  });

  it('reports a YAML syntax error where it is', async () => {
    const text = shippedWarehouse.replace('format: json', 'format: json: avro');
    const file = variant('syntax.yaml', text);
    const [p] = await checkSources([file], { offline: true });
    expect(p).toMatchObject({ file, line: lineOf(text, 'format: json: avro') });
    expect(p!.message).toMatch(/YAML syntax/);
  });

  it('reports a lookup into an undeclared dimension', async () => {
    const text = shippedWarehouse.replace('dimension: product_product, field', 'dimension: products, field');
    const [p] = await checkSources([variant('dim.yaml', text)], { offline: true });
    expect(p!.line).toBe(lineOf(text, 'dimension: products, field'));
    expect(p!.message).toContain('dimension "products" is not declared');
  });

  it('reports a table that does not exist in the source', async () => {
    const text = shippedPos.replace('products: { table: products, key: id }', 'products: { table: product, key: id }');
    const [p] = await checkSources([variant('table.yaml', text)]);
    expect(p).toMatchObject({ line: lineOf(text, 'table: product,'), column: 3 });
    expect(p!.message).toBe('table "product" does not exist in database pos');
    expect(p!.hint).toMatch(/spelling/);
  });

  it('takes a hostile table name only as an escaped identifier: it names no table, and nothing runs', async () => {
    const wms = await warehouseClient();
    try {
      const cases = [
        { shipped: shippedPos, dimension: 'products: { table: products, key: id }', table: 'products`; DROP TABLE locations; #', where: 'database pos' },
        {
          shipped: shippedWarehouse,
          dimension: 'product_product: { table: product_product, key: id }',
          table: 'product_product"; DROP TABLE stock_location; --',
          where: 'schema public',
        },
      ];
      for (const [i, c] of cases.entries()) {
        const text = c.shipped.replace(c.dimension, c.dimension.replace(/table: \w+/, `table: ${JSON.stringify(c.table)}`));
        expect(text).not.toBe(c.shipped);
        const file = variant(`hostile-${i}.yaml`, text);
        const problems = await checkSources([file]);
        expect(problems.map((p) => p.message)).toContain(`table "${c.table}" does not exist in ${c.where}`);
        // The demo's row count puts table names into SQL: as identifiers, escaped.
        await expect(snapshotRowCount([loadMapping(file)])).rejects.toThrow(/doesn't exist|does not exist/);
      }
      const [rows] = await pos.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM locations');
      expect(rows).toHaveLength(1);
      expect((await wms.query('SELECT count(*) FROM stock_location')).rowCount).toBe(1);
    } finally {
      await wms.end();
    }
  });

  it('reports a column that does not exist, listing the real ones', async () => {
    const text = shippedPos.replace('on_hand: { column: units,', 'on_hand: { column: unitz,');
    const [p] = await checkSources([variant('column.yaml', text)]);
    expect(p!.line).toBe(lineOf(text, 'column: unitz'));
    expect(p!.message).toContain('column "unitz" does not exist in pos.stockcurrent');
    expect(p!.hint).toContain('units');
  });

  it('reports a quantity type that does not fit the column type', async () => {
    const text = shippedWarehouse.replace('on_hand: { column: quantity, type: decimal }', 'on_hand: { column: quantity, type: integer }');
    const [p] = await checkSources([variant('type.yaml', text)]);
    expect(p!.line).toBe(lineOf(text, 'type: integer'));
    expect(p!.message).toContain('type integer does not fit column quantity of SQL type numeric');
    expect(p!.hint).toContain('type: decimal');
  });

  it('reports a table the connector does not capture', async () => {
    const text = [
      'source: pos',
      'connector: stocksync-pos',
      'topic_prefix: pos.pos',
      'format: avro',
      'locations: ["STORE-*"]',
      'levels:',
      '  uncaptured_stock:',
      '    row_key: [id]',
      '    sku: { column: product }',
      '    location: { column: location }',
      '    on_hand: { column: units, type: double }',
      '',
    ].join('\n');
    const problems = await checkSources([variant('capture.yaml', text)]);
    const p = problems.find((x) => x.message.includes('does not capture'))!;
    expect(p.line).toBe(lineOf(text, '  uncaptured_stock:'));
    expect(p.hint).toContain('table.include.list');
  });

  it('reports a level table and a movement table that would count the same stock twice', async () => {
    const text = `${shippedPos}movements:\n  stockdiary:\n    row_key: [id]\n    sku: *product-sku\n    location: *store-location\n    delta: { column: units, type: double }\n`;
    const problems = await checkSources([variant('double.yaml', text)]);
    const p = problems.find((x) => x.message.includes('counted twice'))!;
    expect(p.line).toBe(lineOf(text, '  stockdiary:'));
    expect(p.hint).toMatch(/either the level tables .* or the movement tables/);
  });

  it('reports two sources authoritative for the same locations', async () => {
    // A second warehouse source, with its own topics (one topic prefix per source is checked apart).
    const other = variant(
      'other.yaml',
      shippedWarehouse
        .replace('source: warehouse', 'source: warehouse2')
        .replace('topic_prefix: wms.public', 'topic_prefix: wms2.public')
        .replace('locations: ["WH*/Stock"]', 'locations: ["WH1/*"]'),
    );
    const problems = await checkSources([path.join(mappingsDir, 'warehouse.yaml'), other], { offline: true });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toBe(other);
    expect(problems[0]!.message).toContain('overlaps "WH*/Stock" of source warehouse');
  });

  it("reports a row key that differs from the connector's message.key.columns", async () => {
    const text = shippedPos.replace('row_key: [location, product, attributesetinstance_id]', 'row_key: [product, location]');
    const problems = await checkSources([variant('key.yaml', text)]);
    const p = problems.find((x) => x.message.includes('message.key.columns'))!;
    expect(p.line).toBe(lineOf(text, 'row_key: [product, location]'));
  });
});
