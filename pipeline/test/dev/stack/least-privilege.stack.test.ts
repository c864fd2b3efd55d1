/**
 * Issue 17 part 2 (in part): the local stack's POS MariaDB runs as root, and its connector user has
 * every privilege, FILE among them; `secure_file_priv` keeps that user from reading or writing any
 * file outside the server's own empty folder (docs/security.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions, stackEndpoints } from '../../../src/config/endpoints.ts';

let conn: mysql.Connection;

beforeAll(async () => {
  conn = await mysql.createConnection(connectionOptions(stackEndpoints().pos));
});

afterAll(async () => {
  await conn?.end();
});

describe('the POS connector user and the files of the machine', () => {
  it('cannot read a file from disk', async () => {
    const [[row]] = await conn.query<mysql.RowDataPacket[]>("SELECT @@secure_file_priv AS dir, LOAD_FILE('/etc/passwd') AS content");
    expect(row!.dir).toMatch(/pos-mariadb-files\/?$/);
    expect(row!.content).toBeNull();
  });

  it('cannot write a file outside the server folder', async () => {
    const target = path.join(os.tmpdir(), `stocksync-outfile-${process.pid}-${Date.now()}`);
    await expect(conn.query(`SELECT 1 INTO OUTFILE ${conn.escape(target)}`)).rejects.toThrow(/secure-file-priv/);
    expect(fs.existsSync(target)).toBe(false);
  });
});
