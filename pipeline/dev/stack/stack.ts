/**
 * `stocksync stack up | down | status`: the no-Docker local stack. `up` is idempotent: a component
 * already healthy is left alone; a managed component started by `up` is recorded by pid so that
 * `down` stops exactly those processes (never by process name). A machine service (PostgreSQL,
 * MariaDB, Redis shared with other stacks) that `up` had to start is only noted: `down` never stops it.
 * A component `up` started counts as up only once that very process listens on its ports.
 */
import fs from 'node:fs';
import { components, logFile, machineStartNote, pidFile, type Component } from './components.ts';
import { ensureJars, ensureSystemPackages } from './install.ts';
import { isRecordAlive, listensOn, portHolders, portInUse, processRssKiB, readPidRecord, stopRecorded, writePidRecord, type PidRecord } from './processes.ts';
import { waitHealthy } from './probes.ts';
import { stackPaths, type StackPaths } from './paths.ts';
import { connectorHealth, restartFailed, type ConnectorHealth } from '../../src/connectors/health.ts';

/** Thrown when a component does not become healthy; names it, what was expected, and its log. */
export class ComponentStartError extends Error {
  constructor(
    readonly component: string,
    readonly expected: string,
    readonly logPath: string,
    cause: string,
  ) {
    super(`${component} did not start: expected ${expected}; ${cause}. Log: ${logPath}${logErrors(logPath)}`);
  }
}

/** The last error lines of a component's log (e.g. "Address already in use"), to show with the failure. */
function logErrors(logPath: string): string {
  try {
    const lines = fs.readFileSync(logPath, 'utf8').split('\n').slice(-200);
    const errors = lines.filter((l) => /\b(ERROR|FATAL|Exception|[Ee]rror:)/.test(l)).slice(-3);
    return errors.length > 0 ? `\n  last errors in the log:\n${errors.map((l) => `    ${l.slice(0, 300)}`).join('\n')}` : '';
  } catch {
    return '';
  }
}

export interface UpResult {
  component: string;
  /** `already-running`: healthy before `up`; `started`: `up` started it. */
  action: 'already-running' | 'started';
  /** Time from `up` starting this component to its probe passing, ms. */
  ms: number;
}

/** Brings the whole stack up, starting independent components in parallel. */
export async function stackUp(log: (line: string) => void = console.log): Promise<UpResult[]> {
  const paths = stackPaths();
  for (const dir of [paths.conf, paths.data, paths.logs, paths.run]) fs.mkdirSync(dir, { recursive: true });
  // The postgres user must reach its data directory under the stack home.
  fs.chmodSync(paths.home, 0o755);
  fs.chmodSync(paths.data, 0o755);
  if (process.env.STOCKSYNC_STACK !== 'external') {
    ensureSystemPackages(log);
    ensureJars(paths, log);
  }

  const started = new Map<string, Promise<UpResult>>();
  const bring = (component: Component): Promise<UpResult> => {
    let promise = started.get(component.name);
    if (!promise) {
      promise = (async () => {
        await Promise.all(component.dependsOn.map((dep) => bring(byName(dep))));
        return bringUpComponent(component, paths, log);
      })();
      started.set(component.name, promise);
    }
    return promise;
  };
  const settled = await Promise.allSettled(components.map(bring));
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as Error);
  if (failures.length > 0) {
    throw new Error(failures.map((f) => f.message).join('\n'));
  }
  await restartFailedConnectors(log);
  return settled.map((s) => (s as PromiseFulfilledResult<UpResult>).value);
}

/**
 * The last step of `up`: Kafka Connect never restarts a FAILED task (one that failed while the
 * registry or a database was down, say), so `up` restarts them once everything else is up.
 * @throws Error naming the connector and the cause when one fails again.
 */
async function restartFailedConnectors(log: (line: string) => void): Promise<void> {
  const outcomes = await restartFailed();
  for (const o of outcomes) {
    log(`kafka-connect: ${o.name} was ${o.before.summary}; restarted: ${o.after.summary}`);
  }
  const notRecovered = outcomes.filter((o) => !o.recovered);
  if (notRecovered.length > 0) {
    throw new Error(`connectors still not RUNNING after a restart: ${notRecovered.map((o) => `${o.name} (${o.after.summary})`).join('; ')}`);
  }
}

function byName(name: string): Component {
  const component = components.find((c) => c.name === name);
  if (!component) throw new Error(`unknown component ${name}`);
  return component;
}

/**
 * Where `up` keeps the record of a process it started for `component`: a managed component's pid
 * file, which makes the process the stack's own (`down` stops it), or, for a machine service, a
 * note that `down` never reads: the machine's PostgreSQL or Redis is shared with other stacks.
 */
export function startRecordFile(paths: StackPaths, component: Pick<Component, 'name' | 'ownership'>): string {
  return component.ownership === 'managed' ? pidFile(paths, component.name) : machineStartNote(paths, component.name);
}

/** "pid 123 (java -cp …)" for each process listening on `port`, or "an unknown process". */
function describeHolders(port: number, except?: number): string {
  const holders = portHolders(port).filter((h) => h.pid !== except);
  if (holders.length === 0) return 'an unknown process';
  return holders.map((h) => `pid ${h.pid} (${h.command.slice(0, 160) || '?'})`).join(', ');
}

/**
 * Waits until the component answers its probe AND the process `up` started is the one listening
 * on each of its ports: under load a probe can time out while another server holds the port, and
 * a second server started then dies at once while the first one keeps answering the probe.
 * @throws Error naming who answers instead, when the started process exits or never listens.
 */
async function waitStartedHealthy(component: Component, started: PidRecord): Promise<void> {
  const { pid } = started;
  const probe = async () => {
    await component.probe();
    if (!isRecordAlive(started)) throw new Error(`the process up started (pid ${pid}) has exited`);
    const elsewhere = component.ports.filter((port) => listensOn(started.pid, port) === false);
    if (elsewhere.length > 0) {
      throw new Error(
        `port ${elsewhere.join('/')} answers, but not from the process up started (pid ${started.pid}): ${elsewhere.map((p) => describeHolders(p, started.pid)).join('; ')}`,
      );
    }
  };
  try {
    await waitHealthy(probe, component.timeoutMs, () => !isRecordAlive(started));
  } catch (error) {
    const held = component.ports.filter((port) => portInUse(port) && listensOn(started.pid, port) !== true);
    const holders =
      held.length > 0
        ? `; port ${held.map((p) => `${p} is held by ${describeHolders(p, started.pid)}`).join(', ')}, which is not the process up started (pid ${started.pid})`
        : '';
    throw new Error(`${(error as Error).message}${holders}`);
  }
}

/**
 * Brings one component up (its dependencies must be up already): probes it; if it does not
 * answer, waits for a process this stack started earlier, or for whatever already holds its port,
 * or else starts it and waits until that process answers on its ports; then runs its bootstrap.
 * @throws ComponentStartError naming the component, what was expected, why, and its log.
 */
export async function bringUpComponent(component: Component, paths: StackPaths, log: (line: string) => void): Promise<UpResult> {
  const t0 = Date.now();
  const recordFile = startRecordFile(paths, component);
  const record = readPidRecord(recordFile);
  let action: UpResult['action'] = 'already-running';
  const fail = (cause: string) => new ComponentStartError(component.name, component.expected, logFile(paths, component.name), cause);
  // A machine service gets a few tries before we conclude it is down: starting a second server on
  // a running one's data directory fails anyway, and a busy machine can miss one probe.
  const tries = component.ownership === 'machine' ? 3 : 1;
  let healthyNow = false;
  let probeError = '';
  for (let i = 0; i < tries && !healthyNow; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    healthyNow = await component.probe().then(
      () => true,
      (error: Error) => {
        probeError = error.message;
        return false;
      },
    );
  }
  if (!healthyNow && process.env.STOCKSYNC_STACK === 'external') {
    // Someone else runs the stack (deploy/compose.yaml, or a retailer's servers): never start processes.
    const problem = await component.probe().then(
      () => 'healthy now',
      (error: Error) => error.message,
    );
    throw new ComponentStartError(component.name, component.expected, 'its own (STOCKSYNC_STACK=external)', problem);
  }
  if (!healthyNow) {
    const busyPorts = component.ports.filter((port) => portInUse(port));
    if (isRecordAlive(record)) {
      log(`${component.name}: started earlier (pid ${record.pid}), waiting for it to become healthy`);
      try {
        await waitStartedHealthy(component, record);
      } catch (error) {
        throw fail((error as Error).message);
      }
    } else if (busyPorts.length > 0) {
      // Something already listens (a slow server, another stack's, a stray process): a second
      // server on the same port would only die. Wait for the one there to answer instead.
      const holders = busyPorts.map((p) => `port ${p}: ${describeHolders(p)}`).join('; ');
      log(`${component.name}: not answering (${probeError}), but its port is in use (${holders}); not starting a second one, waiting for it`);
      try {
        await waitHealthy(component.probe, component.timeoutMs);
      } catch (error) {
        throw fail(
          `${holders} — not started by this stack, and not answering as expected (${(error as Error).message}); stop that process or free the port, then run \`stack up\` again`,
        );
      }
    } else {
      log(`${component.name}: starting (probe: ${probeError})`);
      let started: PidRecord;
      try {
        started = await component.start(paths);
      } catch (error) {
        throw fail((error as Error).message);
      }
      writePidRecord(recordFile, started);
      action = 'started';
      try {
        await waitStartedHealthy(component, started);
      } catch (error) {
        throw fail((error as Error).message);
      }
    }
  }
  try {
    await component.bootstrap?.(paths);
  } catch (error) {
    throw fail(`bootstrap failed: ${(error as Error).message}`);
  }
  const ms = Date.now() - t0;
  // A managed component that answers but was not started from this STOCKSYNC_HOME belongs to
  // someone else (another stack on the same ports): say so, it will be used as it is.
  const foreign = action === 'already-running' && component.ownership === 'managed' && !isRecordAlive(readPidRecord(recordFile));
  log(
    `${component.name}: healthy (${action}${foreign ? `, NOT started from ${paths.home}: another stack answers on port ${component.ports.join('/')}` : ''}, ${ms} ms)`,
  );
  return { component: component.name, action, ms };
}

export interface ComponentStatus {
  component: string;
  ownership: Component['ownership'];
  ports: number[];
  /** Pid of the process `up` started, if any and still alive (for a machine service: the one it restarted). */
  pid: number | null;
  /** Resident memory of that process, MiB. */
  rssMiB: number | null;
  healthy: boolean;
  /** Why the probe failed, or (Kafka Connect) which connector task FAILED; null when healthy. */
  problem: string | null;
  log: string;
  /**
   * Kafka Connect only: each connector's and task's state as Connect reports it (null for other
   * components, and when Connect does not answer). A FAILED connector or task makes Connect unhealthy.
   */
  connectors: ConnectorHealth[] | null;
}

/** Probes every component; asks Kafka Connect for the state of every connector and task. */
export async function stackStatus(): Promise<ComponentStatus[]> {
  const paths = stackPaths();
  return Promise.all(
    components.map(async (component) => {
      const record = readPidRecord(startRecordFile(paths, component));
      const alive = isRecordAlive(record);
      const rss = alive ? processRssKiB(record.pid) : undefined;
      let problem = await component.probe().then(
        () => null,
        (error: Error) => error.message,
      );
      let connectors: ConnectorHealth[] | null = null;
      if (component.name === 'kafka-connect' && problem === null) {
        try {
          connectors = await connectorHealth();
          const failed = connectors.filter((c) => c.failed);
          if (failed.length > 0) {
            problem = `FAILED: ${failed.map((c) => `${c.name} (${c.summary})`).join('; ')} — run \`stocksync connectors restart\` once the cause is gone`;
          }
        } catch (error) {
          problem = `connector states unavailable: ${(error as Error).message}`;
        }
      }
      return {
        component: component.name,
        ownership: component.ownership,
        ports: component.ports,
        pid: alive ? record.pid : null,
        rssMiB: rss === undefined ? null : Math.round(rss / 1024),
        healthy: problem === null,
        problem,
        log: logFile(paths, component.name),
        connectors,
      };
    }),
  );
}

/**
 * Stops, in reverse start order, every managed component's process that `up` started. Machine
 * services are never stopped, not even one `up` restarted: other stacks use them. Returns the
 * names stopped.
 */
export async function stackDown(options: { purge?: boolean } = {}): Promise<string[]> {
  const paths = stackPaths();
  const stopped: string[] = [];
  for (const component of [...components].reverse()) {
    if (component.ownership !== 'managed') {
      // Before this rule, `up` recorded a machine service it restarted as its own: forget such a
      // record without signalling the process.
      fs.rmSync(pidFile(paths, component.name), { force: true });
      continue;
    }
    if (await stopRecorded(pidFile(paths, component.name))) stopped.push(component.name);
  }
  if (options.purge) {
    fs.rmSync(paths.data, { recursive: true, force: true });
    fs.rmSync(paths.conf, { recursive: true, force: true });
  }
  return stopped;
}
