/**
 * A MariaDB server of a test's or `stocksync chaos`'s own for the web shop channel, on its own port
 * and data directory, so it can be stopped, killed or paused and started again without touching
 * the machine's MariaDB (3306), which other stacks use.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { DatabaseEndpoint } from '../../src/config/endpoints.ts';
import { killOnExit, treePauser, type ThrowawayServer } from './servers.ts';

/** A throwaway MariaDB server (user `storefront`, all privileges) that can also be stopped cleanly. */
export interface StorefrontServer extends ThrowawayServer {
  endpoint: DatabaseEndpoint;
  /** Stops the server (clean shutdown) and waits until it exited. */
  stop(): Promise<void>;
}

/**
 * Starts a MariaDB server on 127.0.0.1:`port` in a fresh data directory under the temp folder.
 * `database` becomes the endpoint's database (created by whoever uses it).
 * @throws Error when it does not accept connections within 30 s.
 */
export async function startStorefrontServer(port: number, database: string): Promise<StorefrontServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocksync-storefront-'));
  const datadir = path.join(dir, 'data');
  const socket = path.join(dir, 'mariadbd.sock');
  const log = path.join(dir, 'mariadbd.log');
  fs.mkdirSync(datadir);
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], {
    stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')],
  });
  let child: ChildProcess | undefined;

  const waitReady = async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const conn = await mysql.createConnection({ socketPath: socket, user: 'root', password: '' });
        await conn.end();
        return;
      } catch (error) {
        if (child?.exitCode !== null && child?.exitCode !== undefined) throw new Error(`storefront MariaDB exited with ${child.exitCode}; see ${log}`);
        if (Date.now() > deadline) throw new Error(`storefront MariaDB not ready after 30 s (${(error as Error).message}); see ${log}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };

  const start = async () => {
    const out = fs.openSync(log, 'a');
    child = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${socket}`,
        `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        '--skip-name-resolve',
      ],
      { stdio: ['ignore', out, out] },
    );
    await waitReady();
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  const cancelKillOnExit = killOnExit(() => child);
  const root = await mysql.createConnection({ socketPath: socket, user: 'root', password: '' });
  try {
    await root.query(`CREATE USER IF NOT EXISTS 'storefront'@'%' IDENTIFIED BY 'storefront'`);
    await root.query(`GRANT ALL PRIVILEGES ON *.* TO 'storefront'@'%'`);
  } finally {
    await root.end();
  }
  return {
    endpoint: { kind: 'mysql', host: '127.0.0.1', port, user: 'storefront', password: 'storefront', database },
    stop: () => stop(),
    kill: () => stop('SIGKILL'),
    ...treePauser(() => child),
    start,
    async destroy() {
      cancelKillOnExit();
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
