/**
 * CPU time and memory of processes, read from Linux's /proc (proc(5)): the bench's resource
 * figures. CPU seconds are user + system time; clock ticks are converted with `getconf CLK_TCK`.
 */
import fs from 'node:fs';
import net from 'node:net';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;
const clockTicks = (): number => {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
};

interface ProcStat {
  ppid: number;
  /** utime + stime of the process itself, clock ticks. */
  own: number;
  /** cutime + cstime: children that exited and were waited for, clock ticks. */
  reapedChildren: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) may hold spaces and parentheses: split after its closing parenthesis.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // After the command: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17); f[0] is field 3.
    return { ppid: f[1]!, own: f[11]! + f[12]!, reapedChildren: f[13]! + f[14]! };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) a live process has used so far, itself only.
 * @throws Error when the process does not exist.
 */
export function processCpuSeconds(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone: cannot read its CPU time`);
  return stat.own / clockTicks();
}

/** Peak resident set size of a live process in MiB (VmHWM of /proc/<pid>/status), or null when gone. */
export function peakRssMiB(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of a whole process tree so far: the root and every live descendant (their own time),
 * plus the time of descendants that already exited (cutime/cstime of the process that reaped them).
 * For PostgreSQL's postmaster this is the cluster's CPU, backends that came and went included.
 * @throws Error when the root process does not exist.
 */
export function treeCpuSeconds(rootPid: number): number {
  const stats = new Map<number, ProcStat>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  if (!stats.has(rootPid)) throw new Error(`process ${rootPid} is gone: cannot read its CPU time`);
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  let ticks = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const stat = stats.get(pid)!;
    ticks += stat.own + stat.reapedChildren;
    stack.push(...(children.get(pid) ?? []));
  }
  return ticks / clockTicks();
}

/** Sum of the CPU seconds (own time) of the given live processes; gone ones count 0. */
export function processesCpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.own ?? 0;
  return ticks / clockTicks();
}

/** The parent pid of a live process. @throws Error when it does not exist. */
export function parentPid(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return stat.ppid;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
