/**
 * Issue 17 part 2: `stocksync sources check` warns, without failing, when a connector user can do
 * more than Debezium needs (SUPER, FILE, ALL, GRANT OPTION on MariaDB; superuser, CREATEDB, write
 * privileges on PostgreSQL), and is silent on the local stack's least-privilege users.
 */
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSources } from '../../src/sources/check.ts';
import { mappingsDir } from '../../src/normalize/mapping.ts';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { posAdmin, warehouseAdmin } from '../../dev/stack/accounts.ts';

const EXCESS = { user: 'stocksync_excess', password: 'excess-password' };
const pos = path.join(mappingsDir, 'pos.yaml');
const warehouse = path.join(mappingsDir, 'warehouse.yaml');
const endpoints = stackEndpoints();
const saved: Record<string, string | undefined> = {};

/** Runs `body` with the connector user of `source` replaced by the over-privileged account. */
async function asExcess<T>(source: 'POS' | 'WAREHOUSE', body: () => Promise<T>): Promise<T> {
  const names = [`STOCKSYNC_${source}_USER`, `STOCKSYNC_${source}_PASSWORD`];
  for (const name of names) saved[name] = process.env[name];
  process.env[names[0]!] = EXCESS.user;
  process.env[names[1]!] = EXCESS.password;
  try {
    return await body();
  } finally {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

beforeAll(async () => {
  const admin = await mysql.createConnection(posAdmin());
  try {
    await admin.query("CREATE OR REPLACE USER ?@'127.0.0.1' IDENTIFIED BY ?", [EXCESS.user, EXCESS.password]);
    await admin.query("GRANT ALL PRIVILEGES ON *.* TO ?@'127.0.0.1' WITH GRANT OPTION", [EXCESS.user]);
  } finally {
    await admin.end();
  }
  const pgAdmin = new pg.Client(warehouseAdmin(endpoints.warehouse.database));
  await pgAdmin.connect();
  try {
    const role = pgAdmin.escapeIdentifier(EXCESS.user);
    await pgAdmin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await pgAdmin.query(`DROP ROLE IF EXISTS ${role}`);
    await pgAdmin.query(`CREATE ROLE ${role} LOGIN REPLICATION CREATEDB PASSWORD ${pgAdmin.escapeLiteral(EXCESS.password)}`);
    await pgAdmin.query(`GRANT CONNECT ON DATABASE ${pgAdmin.escapeIdentifier(endpoints.warehouse.database)} TO ${role}`);
    await pgAdmin.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await pgAdmin.query(`GRANT SELECT, INSERT, DELETE ON stock_quant TO ${role}`);
    await pgAdmin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
  } finally {
    await pgAdmin.end();
  }
});

afterAll(async () => {
  const admin = await mysql.createConnection(posAdmin());
  await admin.query("DROP USER IF EXISTS ?@'127.0.0.1'", [EXCESS.user]).finally(() => admin.end());
  const pgAdmin = new pg.Client(warehouseAdmin(endpoints.warehouse.database));
  await pgAdmin.connect();
  try {
    await pgAdmin.query(`DROP OWNED BY ${pgAdmin.escapeIdentifier(EXCESS.user)}`);
    await pgAdmin.query(`DROP ROLE IF EXISTS ${pgAdmin.escapeIdentifier(EXCESS.user)}`);
  } finally {
    await pgAdmin.end();
  }
});

describe('sources check and the connector users privileges', () => {
  it("is silent on the local stack's connector users", async () => {
    expect(await checkSources([pos, warehouse])).toEqual([]);
  });

  it('warns (not an error) when the MariaDB connector user has ALL PRIVILEGES WITH GRANT OPTION', async () => {
    const problems = await asExcess('POS', () => checkSources([pos]));
    expect(problems).toHaveLength(1);
    const [warning] = problems;
    expect(warning!.severity).toBe('warning');
    expect(warning!.message).toMatch(/^connector stocksync-pos logs in as stocksync_excess, which can do more than Debezium needs: /);
    for (const privilege of ['SUPER', 'FILE', 'INSERT', 'GRANT OPTION']) expect(warning!.message).toContain(privilege);
    // Debezium's own privileges are not listed as excess.
    const global = /needs: (.*) on \*\.\*/.exec(warning!.message)![1]!.split(', ');
    for (const needed of ['SELECT', 'RELOAD', 'SHOW DATABASES', 'REPLICATION SLAVE', 'BINLOG MONITOR']) expect(global).not.toContain(needed);
  });

  it('warns when the PostgreSQL connector role may create databases and write a captured table', async () => {
    const problems = await asExcess('WAREHOUSE', () => checkSources([warehouse]));
    expect(problems.map((p) => [p.severity, p.message])).toEqual([
      [
        'warning',
        'connector stocksync-warehouse logs in as stocksync_excess, which can do more than Debezium needs: CREATEDB; INSERT, UPDATE, DELETE or TRUNCATE on public.stock_quant',
      ],
    ]);
  });
});
