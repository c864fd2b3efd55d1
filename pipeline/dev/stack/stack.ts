/**
 * `stocksync stack up | down | status`: the no-Docker local stack. `up` is idempotent: a component
 * already healthy is left alone; a component started by `up` is recorded by pid so that `down` stops
 * exactly those processes (never by process name).
 */
import fs from 'node:fs';
import { components, logFile, pidFile, type Component } from './components.ts';
import { ensureJars, ensureSystemPackages } from './install.ts';
import { isRecordAlive, processRssKiB, readPidRecord, stopRecorded } from './processes.ts';
import { waitHealthy } from './probes.ts';
import { stackPaths, type StackPaths } from './paths.ts';

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
        return bringUp(component, paths, log);
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
  return settled.map((s) => (s as PromiseFulfilledResult<UpResult>).value);
}

function byName(name: string): Component {
  const component = components.find((c) => c.name === name);
  if (!component) throw new Error(`unknown component ${name}`);
  return component;
}

async function bringUp(component: Component, paths: StackPaths, log: (line: string) => void): Promise<UpResult> {
  const t0 = Date.now();
  const record = readPidRecord(pidFile(paths, component.name));
  let action: UpResult['action'] = 'already-running';
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
    const problem = await component.probe().then(() => 'healthy now', (error: Error) => error.message);
    throw new ComponentStartError(component.name, component.expected, 'its own (STOCKSYNC_STACK=external)', problem);
  }
  if (!healthyNow) {
    if (isRecordAlive(record)) {
      log(`${component.name}: started earlier, waiting for it to become healthy`);
    } else {
      log(`${component.name}: starting (probe: ${probeError})`);
      try {
        await component.start(paths);
      } catch (error) {
        throw new ComponentStartError(component.name, component.expected, logFile(paths, component.name), (error as Error).message);
      }
      action = 'started';
    }
    const current = readPidRecord(pidFile(paths, component.name));
    try {
      await waitHealthy(component.probe, component.timeoutMs, () => !isRecordAlive(current));
    } catch (error) {
      throw new ComponentStartError(component.name, component.expected, logFile(paths, component.name), (error as Error).message);
    }
  }
  try {
    await component.bootstrap?.(paths);
  } catch (error) {
    throw new ComponentStartError(component.name, component.expected, logFile(paths, component.name), `bootstrap failed: ${(error as Error).message}`);
  }
  const ms = Date.now() - t0;
  // A managed component that answers but was not started from this STOCKSYNC_HOME belongs to
  // someone else (another stack on the same ports): say so, it will be used as it is.
  const foreign = action === 'already-running' && component.ownership === 'managed' && !isRecordAlive(readPidRecord(pidFile(paths, component.name)));
  log(`${component.name}: healthy (${action}${foreign ? `, NOT started from ${paths.home}: another stack answers on port ${component.ports.join('/')}` : ''}, ${ms} ms)`);
  return { component: component.name, action, ms };
}

export interface ComponentStatus {
  component: string;
  ownership: Component['ownership'];
  ports: number[];
  /** Pid of the process `up` started, if any and still alive. */
  pid: number | null;
  /** Resident memory of that process, MiB. */
  rssMiB: number | null;
  healthy: boolean;
  /** Why the probe failed, when it did. */
  problem: string | null;
  log: string;
}

/** Probes every component. */
export async function stackStatus(): Promise<ComponentStatus[]> {
  const paths = stackPaths();
  return Promise.all(
    components.map(async (component) => {
      const record = readPidRecord(pidFile(paths, component.name));
      const alive = isRecordAlive(record);
      const rss = alive ? processRssKiB(record.pid) : undefined;
      const problem = await component.probe().then(
        () => null,
        (error: Error) => error.message,
      );
      return {
        component: component.name,
        ownership: component.ownership,
        ports: component.ports,
        pid: alive ? record.pid : null,
        rssMiB: rss === undefined ? null : Math.round(rss / 1024),
        healthy: problem === null,
        problem,
        log: logFile(paths, component.name),
      };
    }),
  );
}

/** Stops, in reverse start order, every process that `up` started. Returns the names stopped. */
export async function stackDown(options: { purge?: boolean } = {}): Promise<string[]> {
  const paths = stackPaths();
  const stopped: string[] = [];
  for (const component of [...components].reverse()) {
    if (await stopRecorded(pidFile(paths, component.name))) stopped.push(component.name);
  }
  if (options.purge) {
    fs.rmSync(paths.data, { recursive: true, force: true });
    fs.rmSync(paths.conf, { recursive: true, force: true });
  }
  return stopped;
}
