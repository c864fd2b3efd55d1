/** The canonical store's database: created when missing, then migrated to the current schema. */
import pg from 'pg';
import type { StackEndpoints } from '../config/endpoints.ts';
import { migrate } from './migrate.ts';

/**
 * Creates the canonical database (`endpoints.canonical.database`) if it does not exist, connecting
 * to the server's `postgres` database to do so, then applies pending migrations. Safe to run from
 * several instances at once (migrations take their advisory lock).
 * @throws the PostgreSQL error when the server cannot be reached or a migration fails.
 */
export async function prepareCanonicalStore(endpoints: StackEndpoints): Promise<void> {
  const admin = new pg.Client({ ...endpoints.canonical, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [endpoints.canonical.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(endpoints.canonical.database)}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client(endpoints.canonical);
  await client.connect();
  try {
    await migrate(client);
  } finally {
    await client.end();
  }
}
