/**
 * Database servers of a fault test's or `stocksync chaos`'s own — PostgreSQL and Redis on their own
 * ports and data directories — so they can be killed (SIGKILL), paused (SIGSTOP) and started again
 * without touching the machine's shared servers (PostgreSQL 5432, Redis 6379), which other stacks
 * use. Each process is signalled by its own pid only. (The MariaDB one is `mariadb.ts`.)
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { DatabaseEndpoint } from '../../src/config/endpoints.ts';

export interface ThrowawayServer {
  /** Kills the server with SIGKILL (no shutdown at all) and waits until it exited. */
  kill(): Promise<void>;
  /** SIGSTOP to the server and every process it forked (PostgreSQL's backends): it holds its connections and answers nothing. */
  pause(): void;
  /** SIGCONT to the processes {@link pause} stopped. */
  resume(): void;
  /** Starts it again on the same data directory and waits until it answers. */
  start(): Promise<void>;
  /** Stops it if running and removes its data directory. */
  destroy(): Promise<void>;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * The handle of a started server process: kill, pause and resume it, start it again, destroy it
 * with its data directory `dir` (also done when this process exits).
 */
function serverHandle(child: () => ChildProcess | undefined, start: () => Promise<void>, dir: string): ThrowawayServer {
  const cancelKillOnExit = killOnExit(child);
  return {
    kill: () => killAndWait(child(), 'SIGKILL'),
    ...treePauser(child),
    start,
    async destroy() {
      cancelKillOnExit();
      await killAndWait(child(), 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for `check` to pass (30 s), failing early when the server process exited. */
async function waitUntil(check: () => Promise<void>, child: () => ChildProcess | undefined, what: string, log: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      const c = child();
      if (c && (c.exitCode !== null || c.signalCode !== null)) throw new Error(`${what} exited (${c.exitCode ?? c.signalCode}); see ${log}`);
      if (Date.now() > deadline) throw new Error(`${what} not ready after 30 s (${(error as Error).message}); see ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * SIGKILL to the server's current process when this process exits without destroying it (a
 * crash), so no server outlives its owner. Returns the function that cancels it (for `destroy`).
 */
export function killOnExit(child: () => ChildProcess | undefined): () => void {
  const onExit = (): void => {
    const c = child();
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return () => process.off('exit', onExit);
}

function killAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

/** The pids of `pid` and of every process below it (from the parent pid field of /proc/<pid>/stat). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // Exited while we looked.
    }
  }
  const tree: number[] = [];
  const visit = (p: number): void => {
    tree.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return tree;
}

/**
 * Pause and resume of a server process and its children: SIGSTOP to the whole tree (a stopped
 * postmaster alone would leave its backends serving open connections), SIGCONT to the same pids.
 */
export function treePauser(child: () => ChildProcess | undefined): Pick<ThrowawayServer, 'pause' | 'resume'> {
  let paused: number[] = [];
  return {
    pause() {
      const pid = child()?.pid;
      if (pid === undefined) throw new Error('pause: the server is not running');
      paused = processTree(pid);
      for (const p of paused) process.kill(p, 'SIGSTOP');
    },
    resume() {
      for (const p of paused) {
        try {
          process.kill(p, 'SIGCONT');
        } catch {
          // Gone meanwhile.
        }
      }
      paused = [];
    },
  };
}

/**
 * A PostgreSQL 15 server (trust authentication, user `postgres`) on 127.0.0.1:`port`, run as the
 * `postgres` system user. Killing the postmaster leaves its backends to notice and exit; `start`
 * retries until the old shared memory is released.
 */
export async function startThrowawayPostgres(port: number): Promise<ThrowawayServer & { endpoint: DatabaseEndpoint }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocksync-pg-'));
  const datadir = path.join(dir, 'data');
  const log = path.join(dir, 'postgres.log');
  fs.mkdirSync(datadir);
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  fs.chownSync(dir, uid, gid);
  fs.chownSync(datadir, uid, gid);
  execFileSync(path.join(PG_BIN, 'initdb'), ['-D', datadir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8'], {
    uid,
    gid,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const endpoint: DatabaseEndpoint = { kind: 'postgres', host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' };
  let child: ChildProcess | undefined;
  const start = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const out = fs.openSync(log, 'a');
      child = spawn(
        path.join(PG_BIN, 'postgres'),
        [
          '-D',
          datadir,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${dir}`,
          '-c',
          'shared_buffers=32MB',
          '-c',
          'fsync=off',
        ],
        { uid, gid, stdio: ['ignore', out, out] },
      );
      try {
        await waitUntil(
          async () => {
            const client = new pg.Client({ ...endpoint, connectionTimeoutMillis: 2000 });
            client.on('error', () => undefined);
            await client.connect();
            await client.end();
          },
          () => child,
          'throwaway PostgreSQL',
          log,
        );
        return;
      } catch (error) {
        // Backends of a killed postmaster may still hold the old shared memory for a moment.
        if (Date.now() > deadline) throw error;
        await killAndWait(child, 'SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };
  await start();
  return { endpoint, ...serverHandle(() => child, start, dir) };
}

/** A Redis server without persistence on 127.0.0.1:`port` (a restart starts empty). */
export async function startThrowawayRedis(port: number): Promise<ThrowawayServer & { url: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocksync-redis-'));
  const log = path.join(dir, 'redis.log');
  let child: ChildProcess | undefined;
  const start = async () => {
    const out = fs.openSync(log, 'a');
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: ['ignore', out, out],
    });
    await waitUntil(
      async () => {
        const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        redis.on('error', () => undefined);
        try {
          await redis.connect();
          await redis.ping();
        } finally {
          redis.disconnect();
        }
      },
      () => child,
      'throwaway Redis',
      log,
    );
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, ...serverHandle(() => child, start, dir) };
}
