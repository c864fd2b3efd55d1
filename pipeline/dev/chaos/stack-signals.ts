/**
 * Signalling a managed component of this stack for a chaos run: only the process `stack up`
 * started from this `STOCKSYNC_HOME`, by the pid in its pid file (checked against its start time,
 * see stack/processes.ts) — never a process looked up by name or port, never a machine service.
 */
import { components, pidFile } from '../stack/components.ts';
import { isRecordAlive, readPidRecord } from '../stack/processes.ts';
import { stackPaths } from '../stack/paths.ts';
import type { StackTarget } from './faults.ts';

/**
 * The pid of the live process `stack up` started for `component`.
 * @throws Error when this stack did not start it (or it is not running): the fault cannot be applied.
 */
export function componentPid(component: StackTarget): number {
  const spec = components.find((c) => c.name === component);
  if (spec?.ownership !== 'managed') throw new Error(`${component} is not a managed component of the stack`);
  const file = pidFile(stackPaths(), component);
  const record = readPidRecord(file);
  if (!isRecordAlive(record)) throw new Error(`${component} was not started by this stack (no live process in ${file}); run \`stocksync stack up\` first`);
  return record.pid;
}

/** Sends `signal` to the component's process; returns the pid. */
export function signalComponent(component: StackTarget, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): number {
  const pid = componentPid(component);
  process.kill(pid, signal);
  return pid;
}

/** Waits until process `pid` is gone (after a SIGKILL), at most `timeoutMs`. */
export async function waitGone(pid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} still exists ${timeoutMs} ms after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
