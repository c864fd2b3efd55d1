import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What the stack records about a process it started, in `<run>/<component>.pid` (JSON).
 * `startTicks` (field 22 of /proc/<pid>/stat, clock ticks since boot) guards against pid reuse:
 * a pid whose start time differs is some other process and is never signalled.
 */
export interface PidRecord {
  pid: number;
  startTicks: number;
  command: string;
  /** Wall time the process was started, ms since epoch. */
  startedAt: number;
}

/** Start time of a live process in clock ticks since boot, or undefined if no such process. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in KiB (VmRSS of /proc/<pid>/status), or undefined. */
export function processRssKiB(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function readPidRecord(file: string): PidRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** True when the recorded process still runs (same pid and same start time). */
export function isRecordAlive(record: PidRecord | undefined): record is PidRecord {
  return record !== undefined && processStartTicks(record.pid) === record.startTicks;
}

/** Records an already running process (e.g. one a service script forked) as started by the stack. */
export function writePidRecord(file: string, pid: number, command: string): PidRecord {
  const startTicks = processStartTicks(pid);
  if (startTicks === undefined) throw new Error(`process ${pid} (${command}) exited right after start`);
  const record: PidRecord = { pid, startTicks, command, startedAt: Date.now() };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(record));
  return record;
}

export interface DaemonOptions {
  command: string;
  args: string[];
  /** Appended with the process's stdout and stderr. */
  logFile: string;
  pidFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user id (e.g. postgres, which refuses to run as root). */
  uid?: number;
  gid?: number;
}

/** Starts a process detached from this one (it outlives the CLI), logging to a file; records its pid. */
export function spawnDaemon(options: DaemonOptions): PidRecord {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  if (options.cwd && !fs.existsSync(options.cwd)) throw new Error(`working directory ${options.cwd} does not exist`);
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
    uid: options.uid,
    gid: options.gid,
  });
  fs.closeSync(log);
  // A failed exec (e.g. command not found) is reported here, asynchronously: record it in the log.
  child.on('error', (error) => fs.appendFileSync(options.logFile, `\nstocksync: could not start ${options.command}: ${error.message}\n`));
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${options.command}`);
  return writePidRecord(options.pidFile, child.pid, [options.command, ...options.args].join(' '));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops a recorded process by pid: SIGTERM, then SIGKILL after `graceMs`. Never looks processes
 * up by name. Removes the pid file. Returns false if the process was already gone.
 */
export async function stopRecorded(pidFile: string, graceMs = 20_000): Promise<boolean> {
  const record = readPidRecord(pidFile);
  if (!isRecordAlive(record)) {
    fs.rmSync(pidFile, { force: true });
    return false;
  }
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isRecordAlive(record)) await sleep(100);
  if (isRecordAlive(record)) process.kill(record.pid, 'SIGKILL');
  while (isRecordAlive(record)) await sleep(50);
  fs.rmSync(pidFile, { force: true });
  return true;
}
