/**
 * Issue 16 items 3 and 4 against the live POS database: `sources check` accepts a mapping that names
 * a SQL column Avro cannot spell (`2nd-units`), reports the Avro spelling (`_2nd_units`) with the SQL
 * name to write, and asks for true/false where a TINYINT(1) flag is compared with a number.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSources } from '../../src/sources/check.ts';
import { posConnection } from '../helpers/sources.ts';

let dir: string;
let pos: mysql.Connection;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sources-columns-'));
  pos = await posConnection();
  await pos.query(
    'CREATE TABLE IF NOT EXISTS poison_stock (id varchar(40) PRIMARY KEY, product varchar(255), location varchar(255), `2nd-units` double, active tinyint(1), kind int)',
  );
});

afterAll(async () => {
  await pos?.end();
});

/** A POS mapping whose one level table is poison_stock, with the given on_hand column and filter. */
function mapping(name: string, units: string, where: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `source: pos
connector: stocksync-pos
topic_prefix: pos.pos
format: avro
locations: ["STORE-*"]
dimensions:
  products: { table: products, key: id }
levels:
  poison_stock:
    row_key: [id]
    sku: { column: product, lookup: { dimension: products, field: reference } }
    location: { column: location, map: { "0": STORE-01 } }
    on_hand: { column: "${units}", type: double }
    where: ${where}
`,
  );
  return file;
}

/** Problems other than the one every variant has: the connector does not capture the test table. */
const problemsOf = async (file: string) => (await checkSources([file])).filter((p) => !p.message.includes('does not capture'));

describe('sources check on column names and flags', () => {
  it('accepts the SQL name of a column Avro renames', async () => {
    expect(await problemsOf(mapping('sql-name.yaml', '2nd-units', '{ active: true }'))).toEqual([]);
  });

  it('reports the Avro spelling, with the SQL name to write', async () => {
    const [problem, ...rest] = await problemsOf(mapping('avro-name.yaml', '_2nd_units', '{ active: true }'));
    expect(rest).toEqual([]);
    expect(problem!.message).toBe('levels.poison_stock.on_hand: column "_2nd_units" does not exist in pos.poison_stock');
    expect(problem!.hint).toBe(
      'mapping files name SQL columns: write "2nd-units" (the Avro converter delivers it as "_2nd_units", and the pipeline finds it under either name)',
    );
  });

  it('asks for true/false where a TINYINT(1) flag is compared with a number, not for an INT', async () => {
    const [problem, ...rest] = await problemsOf(mapping('flag.yaml', '2nd-units', '{ active: 1, kind: 1 }'));
    expect(rest).toEqual([]);
    expect(problem!.message).toMatch(/^levels\.poison_stock\.where: column "active" is a TINYINT\(1\) flag compared with the number 1/);
    expect(problem!.hint).toMatch(/^write true/);
  });
});
