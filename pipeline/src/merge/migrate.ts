/**
 * Applies the canonical store's SQL migrations (`migrations/NNN_name.sql`, in name order) once each,
 * recording them in `schema_migrations`. Safe to run from several pipeline instances at once: the
 * run holds a transaction-level advisory lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { lockMigrations } from '../postgres/advisory-locks.ts';
import { withTransaction } from '../postgres/transaction.ts';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Applies pending migrations; returns the names applied. @throws the failing statement's error. */
export async function migrate(client: pg.ClientBase): Promise<string[]> {
  const applied: string[] = [];
  await withTransaction(client, async () => {
    await lockMigrations(client);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    for (const file of fs
      .readdirSync(migrationsDir)
      .filter((f) => f.endsWith('.sql'))
      .sort()) {
      if (done.has(file)) continue;
      await client.query(fs.readFileSync(path.join(migrationsDir, file), 'utf8'));
      await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
    }
  });
  return applied;
}
