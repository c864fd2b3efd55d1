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

/**
 * The record of a running process.
 * @throws Error when the process is already gone.
 */
export function recordProcess(pid: number, command: string): PidRecord {
  const startTicks = processStartTicks(pid);
  if (startTicks === undefined) throw new Error(`process ${pid} (${command}) exited right after start`);
  return { pid, startTicks, command, startedAt: Date.now() };
}

/** Writes a pid record (JSON) to `file`. */
export function writePidRecord(file: string, record: PidRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(record));
}

export interface DaemonOptions {
  command: string;
  args: string[];
  /** Appended with the process's stdout and stderr. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user id (e.g. postgres, which refuses to run as root). */
  uid?: number;
  gid?: number;
}

/**
 * Starts a process detached from this one (it outlives the CLI), logging to a file. Returns its
 * record; the caller decides where (and whether) it is kept, see `stack.ts`.
 */
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
  return recordProcess(child.pid, [options.command, ...options.args].join(' '));
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

/** A TCP socket in LISTEN state, from /proc/net/tcp or /proc/net/tcp6. */
interface Listener {
  port: number;
  /** Socket inode, as it appears in /proc/<pid>/fd links (`socket:[inode]`). */
  inode: string;
}

/** Sockets listening in this network namespace (/proc/net/tcp and tcp6; state 0A is LISTEN). */
function listeners(): Listener[] {
  const found: Listener[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      const port = Number.parseInt(fields[1]!.split(':')[1]!, 16);
      found.push({ port, inode: fields[9]! });
    }
  }
  return found;
}

/** Socket inodes a process holds open, or undefined when its fds cannot be read (gone, or not ours to read). */
function socketInodes(pid: number): Set<string> | undefined {
  try {
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // The fd closed while we looked.
      }
    }
    return inodes;
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid` itself holds a socket listening on TCP `port` (on any address).
 * `undefined` when that cannot be told (the process's fds are not readable).
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  const inodes = socketInodes(pid);
  if (inodes === undefined) return undefined;
  return listeners().some((l) => l.port === port && inodes.has(l.inode));
}

/** A process holding a listening socket on a port: pid and command line (empty when unreadable). */
export interface PortHolder {
  pid: number;
  command: string;
}

/**
 * The processes listening on TCP `port` (scans /proc/<pid>/fd; processes whose fds this user may
 * not read are missed). Empty when nothing listens.
 */
export function portHolders(port: number): PortHolder[] {
  const wanted = new Set(
    listeners()
      .filter((l) => l.port === port)
      .map((l) => l.inode),
  );
  if (wanted.size === 0) return [];
  const holders: PortHolder[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const inodes = socketInodes(pid);
    if (!inodes || ![...wanted].some((inode) => inodes.has(inode))) continue;
    let command = '';
    try {
      command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      // Gone meanwhile.
    }
    holders.push({ pid, command });
  }
  return holders;
}

/** True when something listens on TCP `port` in this network namespace (whoever it is). */
export function portInUse(port: number): boolean {
  return listeners().some((l) => l.port === port);
}
