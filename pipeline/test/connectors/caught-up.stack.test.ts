/**
 * Issue 16 (faults): "caught up" means the connectors are RUNNING and have read their sources up
 * to the sources' current positions — compared on the live binlog and WAL, robust to other
 * databases moving those logs on.
 */
import path from 'node:path';
import mysql from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyConnector, connectorsDir, loadConnector } from '../../src/connectors/apply.ts';
import { connectorsCaughtUp, offsetCoversSource, sourceCaughtUp } from '../../src/connectors/caught-up.ts';
import { connectorPath, connectRequest } from '../../src/connectors/connect-rest.ts';
import { connectorHealth } from '../../src/connectors/health.ts';
import { eventually } from '../helpers/environment.ts';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { posAdmin, sampleWriter } from '../../dev/stack/accounts.ts';
import { posConnection, uniqueToken, warehouseClient } from '../helpers/sources.ts';

const OTHER = 'stocksync_caughtup_other';
let pos: mysql.Connection;
let wms: pg.Client;

beforeAll(async () => {
  pos = await posConnection();
  wms = await warehouseClient();
  for (const file of ['pos.json', 'erpnext.json', 'warehouse.json']) await applyConnector(loadConnector(path.join(connectorsDir, file)));
  // A database of its own is the administrator's to create; the sample application gets it.
  const admin = await mysql.createConnection(posAdmin());
  await admin.query(`CREATE DATABASE IF NOT EXISTS ${OTHER}`);
  await admin.query(`GRANT ALL PRIVILEGES ON ${OTHER}.* TO ?@'127.0.0.1'`, [sampleWriter('pos', stackEndpoints().pos).user]).finally(() => admin.end());
  await pos.query(`CREATE TABLE IF NOT EXISTS ${OTHER}.noise (id int AUTO_INCREMENT PRIMARY KEY, note varchar(40))`);
  await wms.query('CREATE TABLE IF NOT EXISTS caughtup_noise (id serial PRIMARY KEY, note text)');
});

afterAll(async () => {
  // Never leave a connector paused.
  for (const name of ['stocksync-pos', 'stocksync-warehouse']) await connectRequest('PUT', connectorPath(name, '/resume'));
  const admin = await mysql.createConnection(posAdmin());
  await admin.query(`DROP DATABASE IF EXISTS ${OTHER}`).finally(() => admin.end());
  await wms?.query('DROP TABLE IF EXISTS caughtup_noise');
  await pos?.end();
  await wms?.end();
});

async function pause(name: string): Promise<void> {
  expect((await connectRequest('PUT', connectorPath(name, '/pause'))).status).toBeLessThan(300);
  // The connector says PAUSED before its tasks stop: a task still running could read the change.
  await eventually(
    async () => (await connectorHealth([name]))[0]!,
    (h) => h.state === 'PAUSED' && h.tasks.length > 0 && h.tasks.every((t) => t.state === 'PAUSED'),
  );
}

async function resume(name: string): Promise<void> {
  expect((await connectRequest('PUT', connectorPath(name, '/resume'))).status).toBeLessThan(300);
}

const summary = async () => (await connectorsCaughtUp()).map((c) => `${c.connector}: ${c.caughtUp ? 'caught up' : c.reason}`);
const allCaughtUp = ['stocksync-erpnext: caught up', 'stocksync-pos: caught up', 'stocksync-warehouse: caught up'];

describe('sourceCaughtUp', () => {
  it('holds while the binlog and the WAL move on through tables no connector captures', async () => {
    await eventually(summary, (s) => JSON.stringify(s) === JSON.stringify(allCaughtUp), 120_000);
    // Writes elsewhere on the same servers: another database on the POS MariaDB (whose binlog the
    // POS and ERPNext connectors read), an uncaptured table in the warehouse database.
    await pos.query(`INSERT INTO ${OTHER}.noise (note) VALUES ('a'), ('b')`);
    await wms.query("INSERT INTO caughtup_noise (note) VALUES ('a')");
    const after = await connectorsCaughtUp();
    expect(after.map((c) => `${c.connector}: ${c.caughtUp ? 'caught up' : c.reason}`)).toEqual(allCaughtUp);
    for (const c of after) expect(c.sourcePosition, c.connector).toBeTruthy();
  });

  it('is false while the POS connector has not read a change, and true again once it has', async () => {
    await pause('stocksync-pos');
    const location = uniqueToken('T-CU');
    await pos.beginTransaction();
    await pos.query('INSERT INTO locations (id, name) VALUES (?, ?)', [location, location]);
    await pos.commit();

    expect((await sourceCaughtUp('stocksync-pos')).reason).toBe('PAUSED, task 0 PAUSED');
    const behind = await offsetCoversSource('stocksync-pos');
    expect(behind.caughtUp).toBe(false);
    expect(behind.reason).toMatch(/^Write_rows\S* on pos\.locations at binlog\.\d+:\d+ not read yet/);
    // The ERPNext connector reads the same binlog, but not this table: it is caught up.
    expect((await sourceCaughtUp('stocksync-erpnext')).caughtUp).toBe(true);

    await resume('stocksync-pos');
    await eventually(
      () => sourceCaughtUp('stocksync-pos'),
      (c) => c.caughtUp,
      120_000,
    );
  });

  it('is false while the warehouse connector has not read a change, and true again once it has', async () => {
    await pause('stocksync-warehouse');
    await wms.query(`INSERT INTO stock_location (name, complete_name, usage) VALUES ($1, $1, 'internal')`, [uniqueToken('T-CU-WH')]);

    expect((await sourceCaughtUp('stocksync-warehouse')).caughtUp).toBe(false);
    const behind = await offsetCoversSource('stocksync-warehouse');
    expect(behind.caughtUp).toBe(false);
    expect(behind.reason).toMatch(/^1 change\(s\) of captured tables not read yet/);

    await resume('stocksync-warehouse');
    await eventually(
      () => sourceCaughtUp('stocksync-warehouse'),
      (c) => c.caughtUp,
      120_000,
    );
  });
});
