/**
 * CPU time of processes, read from `/proc/<pid>/stat` (utime + stime, in clock ticks of 1/100 s
 * on Linux), to tell which process a rate step kept busy. A process group counts a process and
 * every descendant (a PostgreSQL server: the postmaster and its backends).
 */
import fs from 'node:fs';
import { stackPaths } from '../stack/paths.ts';
import { readPidRecord } from '../stack/processes.ts';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** A named group of processes: the process `pid` and, when `withChildren`, all its descendants. */
export interface WatchedProcess {
  name: string;
  pid: number;
  withChildren?: boolean;
}

interface Stat {
  ppid: number;
  ticks: number;
}

function readStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return stats; // not Linux: no figures
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces and parentheses): state ppid ... utime(14) stime(15).
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  return stats;
}

/** The processes of each group: its pid and, with `withChildren`, every descendant. */
function members(groups: readonly WatchedProcess[], stats: Map<number, Stat>): Map<string, number[]> {
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) {
    const list = children.get(s.ppid);
    if (list) list.push(pid);
    else children.set(s.ppid, [pid]);
  }
  const out = new Map<string, number[]>();
  for (const g of groups) {
    const pids = out.get(g.name) ?? [];
    const queue = [g.pid];
    while (queue.length > 0) {
      const pid = queue.pop() as number;
      if (stats.has(pid)) pids.push(pid);
      if (g.withChildren) queue.push(...(children.get(pid) ?? []));
    }
    out.set(g.name, pids);
  }
  return out;
}

/** CPU seconds used so far by each group (processes that ended are no longer counted). */
export function cpuSeconds(groups: readonly WatchedProcess[]): Record<string, number> {
  const stats = readStats();
  const out: Record<string, number> = {};
  for (const [name, pids] of members(groups, stats)) out[name] = pids.reduce((a, pid) => a + (stats.get(pid)?.ticks ?? 0), 0) / TICKS_PER_SECOND;
  return out;
}

/**
 * Seconds the threads of each group have spent runnable but waiting for a core so far (the
 * second field of `/proc/<pid>/task/<tid>/schedstat`, ns), summed over threads: how much a busy
 * machine held the group back. Zero where the kernel does not keep scheduler statistics.
 */
export function runQueueWaitSeconds(groups: readonly WatchedProcess[]): Record<string, number> {
  const stats = readStats();
  const out: Record<string, number> = {};
  for (const [name, pids] of members(groups, stats)) {
    let ns = 0;
    for (const pid of pids) {
      let tasks: string[] = [];
      try {
        tasks = fs.readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tasks) {
        try {
          ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1] ?? 0);
        } catch {
          // the thread ended meanwhile
        }
      }
    }
    out[name] = ns / 1e9;
  }
  return out;
}

/** CPU seconds used by each group between two {@link cpuSeconds} readings. */
export function cpuBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, s]) => [name, Math.max(0, s - (before[name] ?? 0))]));
}

/**
 * CPU seconds the whole machine has spent busy so far (all cores: user, nice, system, irq,
 * softirq, steal from the `cpu` line of `/proc/stat`); 0 where there is no /proc.
 */
export function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** This stack's servers, from their pid files: MariaDB, the warehouse PostgreSQL (with its backends), Kafka, Connect, the registry. */
export function stackServerProcesses(): WatchedProcess[] {
  const components: Array<[string, string, boolean]> = [
    ['mariadb', 'pos-mariadb', false],
    ['warehouse-postgres', 'wms-postgres', true],
    ['kafka', 'kafka', false],
    ['connect', 'kafka-connect', false],
    ['registry', 'schema-registry', false],
  ];
  const watched: WatchedProcess[] = [];
  for (const [name, component, withChildren] of components) {
    const record = readPidRecord(`${stackPaths().run}/${component}.pid`);
    if (record) watched.push({ name, pid: record.pid, withChildren });
  }
  return watched;
}
