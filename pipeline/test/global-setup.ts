/**
 * Global setup of the `stack` test project: brings the local stack up when it is not fully healthy,
 * and at teardown stops only the processes this setup started. A stack that was already healthy is
 * left exactly as it was found; so is any component someone else started.
 *
 * When `STOCKSYNC_TEST_STARTED_PIDS` names a file, the pid of every process started here is
 * appended to it, one a line, so that CI can check afterwards that each one is gone.
 */
import fs from 'node:fs';
import { components, pidFile } from '../dev/stack/components.ts';
import { stackPaths } from '../dev/stack/paths.ts';
import { isRecordAlive, readPidRecord, stopRecorded, type PidRecord } from '../dev/stack/processes.ts';
import { stackStatus, stackUp } from '../dev/stack/stack.ts';

/** The live process recorded for each component, by component name. */
function liveRecords(): Map<string, PidRecord> {
  const paths = stackPaths();
  const live = new Map<string, PidRecord>();
  // Machine services are never stopped, not even one `stack up` restarted: only managed components count.
  for (const component of components.filter((c) => c.ownership === 'managed')) {
    const record = readPidRecord(pidFile(paths, component.name));
    if (isRecordAlive(record)) live.set(component.name, record);
  }
  return live;
}

/** Components whose live process was not there (same pid and start time) before. */
function startedSince(before: Map<string, PidRecord>): Map<string, PidRecord> {
  const started = new Map<string, PidRecord>();
  for (const [name, record] of liveRecords()) {
    const earlier = before.get(name);
    if (earlier?.pid !== record.pid || earlier.startTicks !== record.startTicks) started.set(name, record);
  }
  return started;
}

/** Stops the given components' processes by their recorded pid, in reverse start order. */
async function stopStarted(started: Map<string, PidRecord>): Promise<void> {
  const paths = stackPaths();
  for (const component of [...components].reverse()) {
    if (!started.has(component.name)) continue;
    // Only if the pid file still names the process we started (a later `stack up` may have replaced it).
    const record = readPidRecord(pidFile(paths, component.name));
    const ours = started.get(component.name)!;
    if (record?.pid === ours.pid && record.startTicks === ours.startTicks) await stopRecorded(pidFile(paths, component.name));
  }
  console.log(`stack tests: stopped what they started (${[...started.keys()].join(', ')})`);
}

export default async function stackForTests(): Promise<(() => Promise<void>) | undefined> {
  const down = (await stackStatus()).filter((s) => !s.healthy);
  if (down.length === 0) return undefined;

  console.log(`stack tests: bringing the local stack up (not healthy: ${down.map((s) => s.component).join(', ')})`);
  const before = liveRecords();
  let upError: unknown;
  await stackUp((line) => console.log(`  ${line}`)).catch((error: unknown) => {
    upError = error;
  });
  const started = startedSince(before);
  const pidsFile = process.env.STOCKSYNC_TEST_STARTED_PIDS;
  if (pidsFile && started.size > 0) fs.appendFileSync(pidsFile, [...started.values()].map((r) => `${r.pid}\n`).join(''));
  if (upError !== undefined) {
    // Vitest runs no teardown when setup fails: undo the partial start here.
    await stopStarted(started);
    throw upError;
  }
  if (started.size === 0) return undefined;
  return () => stopStarted(started);
}
