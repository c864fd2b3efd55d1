/**
 * The product as it runs in production, for the bench and `stocksync chaos`: the pipeline
 * (`stocksync run`) and the channel fan-out (`stocksync channels run`), each its own Node process
 * started from `pipeline/bin/stocksync.js` with this process's environment (plus any overrides).
 * Their output goes to `<stack logs>/<log prefix>-<name>.log` (prefix `bench` by default).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/project-root.ts';
import { stackPaths } from '../stack/paths.ts';

/** A started product process. */
export interface ProductProcess {
  name: string;
  pid: number;
  /** Its log file. */
  log: string;
  /** Resolves with the exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  /** Null while it runs; its exit code, or -1 when a signal ended it. */
  readonly exitCode: number | null;
  /** SIGTERM (the command finishes its batch and exits), SIGKILL after `graceMs` (default 30 s); resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (no shutdown at all); resolves once it exited. */
  kill(): Promise<void>;
}

/** Options of {@link startProductProcess}. */
export interface ProductProcessOptions {
  /** Variables added to this process's environment (e.g. `STOCKSYNC_CANONICAL_PORT`). */
  env?: NodeJS.ProcessEnv;
  /** Log file name prefix (default `bench`). */
  logPrefix?: string;
  /** Append to the log instead of starting it empty (a process started again). */
  append?: boolean;
}

/**
 * Starts `node pipeline/bin/stocksync.js <args>`.
 *
 * @param name - names the log file, e.g. `pipeline`.
 */
export function startProductProcess(name: string, args: string[], options: ProductProcessOptions = {}): ProductProcess {
  const logs = stackPaths().logs;
  fs.mkdirSync(logs, { recursive: true });
  const log = path.join(logs, `${options.logPrefix ?? 'bench'}-${name}.log`);
  const out = fs.openSync(log, options.append ? 'a' : 'w');
  const child = spawn(process.execPath, [path.join(projectRoot, 'pipeline', 'bin', 'stocksync.js'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    pid: child.pid ?? -1,
    log,
    exited,
    get exitCode() {
      return child.exitCode ?? (child.signalCode ? -1 : null);
    },
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The last `lines` lines of a log file ('' when missing), for error messages. */
export function logTail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
