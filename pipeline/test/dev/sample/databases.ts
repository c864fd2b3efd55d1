/**
 * Throwaway databases on the machine's running servers for the sample tests:
 * MariaDB at 127.0.0.1:3306 (root, empty password) and PostgreSQL at 127.0.0.1:5432 (postgres,
 * trust auth). Each test file uses its own pair of database names so files can run in parallel.
 */
import mysql, { type Connection } from 'mysql2/promise';
import pg from 'pg';

const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** A fresh POS database and a connection to it. */
export async function freshPosDatabase(name: string): Promise<Connection> {
  if (!/^\w+$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = await mysql.createConnection(MARIADB);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  } finally {
    await admin.end();
  }
  return mysql.createConnection({ ...MARIADB, database: name });
}

/** Closes `conn` and drops its database. */
export async function dropPosDatabase(conn: Connection | undefined, name: string): Promise<void> {
  await conn?.end();
  const admin = await mysql.createConnection(MARIADB);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  } finally {
    await admin.end();
  }
}

/** A fresh warehouse database and a connected client on it. */
export async function freshWarehouseDatabase(name: string): Promise<pg.Client> {
  if (!/^\w+$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ ...POSTGRES, database: name });
  await client.connect();
  return client;
}

/** Closes `client` and drops its database. */
export async function dropWarehouseDatabase(client: pg.Client | undefined, name: string): Promise<void> {
  await client?.end();
  const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Every row of some MariaDB tables, in a stable order, for equality checks. */
export async function dumpPos(conn: Connection, tables: readonly string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of tables) {
    const [rows] = await conn.query(`SELECT * FROM ${t} ORDER BY ${POS_ORDER[t] ?? 'id'}`);
    out[t] = rows as unknown[];
  }
  return out;
}
const POS_ORDER: Record<string, string> = { stockcurrent: 'location, product, attributesetinstance_id' };

/** Every row of some Postgres tables ordered by id, for equality checks. */
export async function dumpWarehouse(client: pg.Client, tables: readonly string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of tables) out[t] = (await client.query(`SELECT * FROM ${t} ORDER BY id`)).rows;
  return out;
}

/** Exact sum of decimal strings, through integers scaled by 10^6 (inputs have at most 6 decimals). */
export function sumDecimals(values: readonly string[]): string {
  let total = 0n;
  for (const v of values) {
    const m = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(v);
    if (!m) throw new Error(`sumDecimals: unsupported ${v}`);
    const scaled = BigInt(m[2] as string) * 1_000_000n + BigInt((m[3] ?? '').padEnd(6, '0'));
    total += m[1] === '-' ? -scaled : scaled;
  }
  const neg = total < 0n;
  const abs = neg ? -total : total;
  const frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  const body = `${abs / 1_000_000n}${frac ? `.${frac}` : ''}`;
  return neg ? `-${body}` : body;
}
