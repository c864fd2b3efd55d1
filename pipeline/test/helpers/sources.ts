/** Connections to the stack's sample sources for tests, with the sample schemas in place. */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { createPosSchema } from '../../dev/sample/pos/schema.ts';
import { createWarehouseSchema } from '../../dev/sample/warehouse/schema.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

export async function posConnection(): Promise<mysql.Connection> {
  const conn = await mysql.createConnection(connectionOptions(sampleWriter('pos', stackEndpoints().pos)));
  await createPosSchema(conn);
  return conn;
}

export async function warehouseClient(): Promise<pg.Client> {
  const client = new pg.Client(sampleWriter('warehouse', stackEndpoints().warehouse));
  await client.connect();
  await createWarehouseSchema(client);
  return client;
}

/** A short unique token, so rows a test writes never collide with the seed or another run. */
export function uniqueToken(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
