/**
 * Issue 17 part 2: least privilege in the local stack (docs/security.md, "What the local stack
 * enforces"). The POS MariaDB runs as `mysql`, its root logs in through the socket only, its
 * connector user has Debezium's privileges and no more; the warehouse PostgreSQL takes SCRAM
 * passwords only, and its connector role has REPLICATION and SELECT only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions, stackEndpoints } from '../../../src/config/endpoints.ts';
import { posAdmin, sampleWriter, warehouseAdmin } from '../../../dev/stack/accounts.ts';
import { stackPaths } from '../../../dev/stack/paths.ts';
import { createPosSchema } from '../../../dev/sample/pos/schema.ts';
import { createWarehouseSchema } from '../../../dev/sample/warehouse/schema.ts';

const endpoints = stackEndpoints();
let conn: mysql.Connection;
let app: mysql.Connection;

beforeAll(async () => {
  conn = await mysql.createConnection(connectionOptions(endpoints.pos));
  app = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
  // The sample tables (as the sample application creates them), which the connector users read.
  await createPosSchema(app);
  const wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
  await wms.connect();
  await createWarehouseSchema(wms).finally(() => wms.end());
});

afterAll(async () => {
  await conn?.end();
  await app?.end();
});

/** The operating-system user a process runs as (from /proc, real uid). */
function processUser(pid: number): string {
  const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return execFileSync('id', ['-nu', uid], { encoding: 'utf8' }).trim();
}

/** The privileges of a `GRANT … ON *.* TO …` line of SHOW GRANTS. */
function globalPrivileges(grants: string[]): string[] {
  const line = grants.find((g) => / ON \*\.\* TO /.test(g))!;
  return /^GRANT (.*) ON \*\.\* TO /
    .exec(line)![1]!
    .split(',')
    .map((p) => p.trim())
    .sort();
}

describe('the POS MariaDB', () => {
  it('runs as the operating-system user mysql, not root', () => {
    const pid = Number(fs.readFileSync(path.join(stackPaths().data, 'pos-mariadb', 'mariadbd.pid'), 'utf8').trim());
    expect(processUser(pid)).toBe('mysql');
  });

  it('refuses root over TCP, with no password or any other', async () => {
    for (const password of ['', 'root', endpoints.pos.password]) {
      await expect(mysql.createConnection({ host: '127.0.0.1', port: endpoints.pos.port, user: 'root', password })).rejects.toThrow(
        /not allowed to connect|Access denied/,
      );
    }
  });

  it('has root only through its socket (unix_socket), and no anonymous or other root account', async () => {
    const admin = await mysql.createConnection(posAdmin());
    try {
      const [accounts] = await admin.query<mysql.RowDataPacket[]>("SELECT user AS u, host AS h FROM mysql.user WHERE user IN ('root', '') ORDER BY host");
      expect(accounts.map((a) => `${a.u}@${a.h}`)).toEqual(['root@localhost']);
      const [[grant]] = await admin.query<mysql.RowDataPacket[]>('SHOW CREATE USER root@localhost');
      expect(String(Object.values(grant!)[0])).toMatch(/IDENTIFIED VIA unix_socket$/);
    } finally {
      await admin.end();
    }
  });

  it("gives the connector user exactly Debezium's privileges, from 127.0.0.1 only, none to grant", async () => {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW GRANTS');
    const grants = rows.map((r) => String(Object.values(r)[0]));
    // The global grant, and writing the signal tables (Debezium's incremental-snapshot watermarks)
    // of the stack's source databases (a test's own source may add its signal table's grant).
    const signal = /^GRANT (.*) ON `(\w+)`\.`debezium_signal` TO/;
    expect(grants.filter((g) => !signal.test(g))).toHaveLength(1);
    const signalGrants = grants.flatMap((g) => {
      const m = signal.exec(g);
      return m && [endpoints.pos.database, endpoints.erpnext.database].includes(m[2]!) ? [`${m[2]}: ${m[1]}`] : [];
    });
    expect(signalGrants.sort()).toEqual([`${endpoints.erpnext.database}: INSERT, DELETE`, `${endpoints.pos.database}: INSERT, DELETE`].sort());
    expect(grants.filter((g) => signal.test(g) && !/^GRANT INSERT, DELETE ON/.test(g))).toEqual([]);
    expect(grants[0]).toContain(`TO \`${endpoints.pos.user}\`@\`127.0.0.1\``);
    expect(grants[0]).not.toMatch(/GRANT OPTION/);
    // MariaDB 10.5.2+ shows REPLICATION CLIENT as BINLOG MONITOR.
    expect(globalPrivileges(grants)).toEqual(['BINLOG MONITOR', 'RELOAD', 'REPLICATION SLAVE', 'SELECT', 'SHOW DATABASES']);
  });
});

describe('the POS connector user', () => {
  it('cannot read a file from disk', async () => {
    const [[row]] = await conn.query<mysql.RowDataPacket[]>("SELECT @@secure_file_priv AS dir, LOAD_FILE('/etc/passwd') AS content");
    expect(row!.dir).toMatch(/pos-mariadb-files\/?$/);
    expect(row!.content).toBeNull();
  });

  it('cannot write a file anywhere', async () => {
    const target = path.join(os.tmpdir(), `stocksync-outfile-${process.pid}-${Date.now()}`);
    await expect(conn.query(`SELECT 1 INTO OUTFILE ${conn.escape(target)}`)).rejects.toThrow(/FILE privilege|secure-file-priv/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('cannot grant, create users, or change data', async () => {
    await expect(conn.query("GRANT SELECT ON pos.* TO ?@'127.0.0.1'", [sampleWriter('pos', endpoints.pos).user])).rejects.toThrow(/denied/);
    await expect(conn.query("CREATE USER 'stocksync_intruder'@'%' IDENTIFIED BY 'x'")).rejects.toThrow(/denied/);
    await expect(conn.query(`CREATE TABLE ${mysql.escapeId(endpoints.pos.database)}.intruder (id int)`)).rejects.toThrow(/denied/);
    await expect(conn.query(`DELETE FROM ${mysql.escapeId(endpoints.pos.database)}.stockcurrent`)).rejects.toThrow(/denied/);
  });

  it('can do what Debezium does: read the binlog position and the captured tables', async () => {
    const [status] = await conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    expect(String(status[0]!.File)).toMatch(/^binlog\.\d+$/);
    const [count] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${mysql.escapeId(endpoints.pos.database)}.stockcurrent`);
    expect(Number(count[0]!.n)).toBeGreaterThanOrEqual(0);
  });
});

describe('the POS sample application user', () => {
  it('writes its own databases but cannot grant nor touch files', async () => {
    const [rows] = await app.query<mysql.RowDataPacket[]>('SHOW GRANTS');
    const grants = rows.map((r) => String(Object.values(r)[0]));
    expect(grants.join('\n')).not.toMatch(/GRANT OPTION|ON \*\.\* TO .*(FILE|SUPER|ALL)/);
    await expect(app.query("SELECT LOAD_FILE('/etc/passwd') AS c").then(([r]) => (r as mysql.RowDataPacket[])[0]!.c)).resolves.toBeNull();
    await expect(app.query('SELECT user FROM mysql.user')).rejects.toThrow(/denied/);
  });
});

describe('the warehouse PostgreSQL', () => {
  const tcp = (user: string, password: string) =>
    new pg.Client({ host: '127.0.0.1', port: endpoints.warehouse.port, user, password, database: endpoints.warehouse.database });

  it('has no trust rule: every TCP login takes a SCRAM-SHA-256 password', async () => {
    const admin = new pg.Client(warehouseAdmin());
    await admin.connect();
    try {
      const { rows } = await admin.query<{ type: string; auth_method: string }>('SELECT type, auth_method FROM pg_hba_file_rules WHERE error IS NULL');
      expect(rows.filter((r) => r.auth_method === 'trust')).toEqual([]);
      expect([...new Set(rows.filter((r) => r.type === 'host').map((r) => r.auth_method))].sort()).toEqual(['reject', 'scram-sha-256']);
      const { rows: secrets } = await admin.query<{ rolname: string; rolpassword: string | null }>(
        'SELECT rolname, rolpassword FROM pg_authid WHERE rolcanlogin ORDER BY rolname',
      );
      for (const s of secrets.filter((r) => r.rolname !== 'postgres')) expect(s.rolpassword).toMatch(/^SCRAM-SHA-256\$/);
      expect(secrets.find((r) => r.rolname === 'postgres')?.rolpassword).toBeNull();
    } finally {
      await admin.end();
    }
  });

  it('rejects a wrong password, and postgres over TCP with any', async () => {
    await expect(tcp(endpoints.warehouse.user, `${endpoints.warehouse.password}-wrong`).connect()).rejects.toThrow(/password authentication failed/);
    await expect(tcp('postgres', 'postgres').connect()).rejects.toThrow(/rejects connection|no pg_hba.conf entry|password authentication failed/);
  });

  it('gives the connector role REPLICATION and SELECT only: it cannot write, create, or read server files', async () => {
    const client = tcp(endpoints.warehouse.user, endpoints.warehouse.password);
    await client.connect();
    try {
      const { rows } = await client.query('SELECT rolsuper, rolreplication, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user');
      expect(rows[0]).toEqual({ rolsuper: false, rolreplication: true, rolcreatedb: false, rolcreaterole: false });
      await expect(client.query('SELECT count(*) FROM stock_quant')).resolves.toBeDefined();
      await expect(client.query('DELETE FROM stock_quant')).rejects.toThrow(/permission denied/);
      await expect(client.query('CREATE TABLE intruder (id int)')).rejects.toThrow(/permission denied/);
      await expect(client.query("SELECT pg_read_file('/etc/passwd')")).rejects.toThrow(/permission denied/);
      await expect(client.query('CREATE PUBLICATION intruder FOR TABLE stock_quant')).rejects.toThrow(/permission denied|must be owner/);
    } finally {
      await client.end();
    }
  });
});

describe('the canonical store, the channels and the registry', () => {
  it('use roles of their own, none a superuser, each owning its database', async () => {
    const registry = {
      ...endpoints.canonical,
      user: process.env.STOCKSYNC_REGISTRY_USER ?? 'stocksync_registry',
      password: process.env.STOCKSYNC_REGISTRY_PASSWORD ?? 'stocksync_registry',
      database: process.env.STOCKSYNC_REGISTRY_DATABASE ?? 'apicurio_registry',
    };
    const roles: Record<string, unknown> = {};
    for (const [name, endpoint] of Object.entries({ canonical: endpoints.canonical, marketplace: endpoints.marketplace, registry })) {
      const client = new pg.Client(connectionOptions(endpoint));
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT current_user AS role, r.rolsuper AS super, r.rolcreaterole AS createrole, pg_get_userbyid(d.datdba) = current_user AS owner
             FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
        );
        roles[name] = rows[0];
        await expect(client.query("SELECT pg_read_file('/etc/passwd')")).rejects.toThrow(/permission denied/);
      } finally {
        await client.end();
      }
    }
    expect(roles).toEqual({
      canonical: { role: 'stocksync_pipeline', super: false, createrole: false, owner: true },
      marketplace: { role: 'stocksync_marketplace', super: false, createrole: false, owner: true },
      registry: { role: 'stocksync_registry', super: false, createrole: false, owner: true },
    });
  });

  it('give the web shop channel every privilege on its database only', async () => {
    const webshop = await mysql.createConnection(connectionOptions(endpoints.webshop));
    try {
      const [rows] = await webshop.query<mysql.RowDataPacket[]>('SHOW GRANTS');
      const grants = rows.map((r) => String(Object.values(r)[0]));
      expect(grants.find((g) => / ON \*\.\* TO /.test(g))).toMatch(/^GRANT USAGE ON \*\.\* TO `stocksync_webshop`@`127\.0\.0\.1`/);
      expect(grants).toContainEqual(
        expect.stringMatching(new RegExp(`^GRANT ALL PRIVILEGES ON \`${endpoints.webshop.database}\`\\.\\* TO \`stocksync_webshop\`@\`127\\.0\\.0\\.1\`$`)),
      );
    } finally {
      await webshop.end();
    }
  });
});
