/**
 * The health of the Debezium connectors as Kafka Connect reports it, and the restart of FAILED
 * connectors and tasks. Kafka Connect never restarts a FAILED task by itself: until someone calls
 * `POST /connectors/{name}/restart`, a FAILED task captures nothing while consumer lag stays 0.
 * Used by `stocksync connectors restart | apply`, `stocksync stack status | up`, and any readiness
 * check that must not call a pipeline with a dead capture "caught up".
 */
import { connectorFiles, loadConnector } from './apply.ts';
import { connectorPath, connectRequest, requestRestartOfFailed, type ConnectorStatusAnswer, type ConnectState } from './connect-rest.ts';

/** One task of a connector. */
export interface TaskHealth {
  id: number;
  state: ConnectState;
  /** The root cause of a FAILED task (last `Caused by:` of the trace, or its first line), else null. */
  cause: string | null;
  /** Connect's full Java stack trace of a FAILED task, else null. */
  trace: string | null;
}

/** One connector, as Kafka Connect reports it (GET /connectors/{name}/status). */
export interface ConnectorHealth {
  name: string;
  /** False when Connect does not know the connector (not applied yet, or deleted). */
  registered: boolean;
  /** The connector's own state; null when not registered. */
  state: ConnectState | null;
  /** Root cause when the connector itself FAILED, else null. */
  cause: string | null;
  trace: string | null;
  tasks: TaskHealth[];
  /** The connector and at least one task are RUNNING, and no task is in another state. */
  running: boolean;
  /** The connector or one of its tasks is FAILED: it captures nothing until restarted. */
  failed: boolean;
  /** One line for people, e.g. `RUNNING, task 0 RUNNING` or `RUNNING, task 0 FAILED: RestClientException: …`. */
  summary: string;
}

/**
 * The root cause of a Java stack trace: its last `Caused by:` line without the prefix, or its first
 * line when there is none; at most 300 characters.
 */
export function failureCause(trace: string | undefined | null): string | null {
  if (!trace) return null;
  const lines = trace.split('\n');
  const causes = lines.filter((l) => l.startsWith('Caused by: '));
  const cause = causes.length > 0 ? causes[causes.length - 1]!.slice('Caused by: '.length) : lines[0]!;
  return cause.length > 300 ? `${cause.slice(0, 297)}...` : cause;
}

/** Builds a connector's health from its status answer (null: Connect answered 404). */
export function healthOf(name: string, status: ConnectorStatusAnswer | null): ConnectorHealth {
  if (!status) {
    return { name, registered: false, state: null, cause: null, trace: null, tasks: [], running: false, failed: false, summary: 'not registered' };
  }
  const tasks: TaskHealth[] = status.tasks
    .map((t) => ({
      id: t.id,
      state: t.state,
      cause: t.state === 'FAILED' ? failureCause(t.trace) : null,
      trace: t.state === 'FAILED' ? (t.trace ?? null) : null,
    }))
    .sort((a, b) => a.id - b.id);
  const connectorFailed = status.connector.state === 'FAILED';
  const failed = connectorFailed || tasks.some((t) => t.state === 'FAILED');
  const running = status.connector.state === 'RUNNING' && tasks.length > 0 && tasks.every((t) => t.state === 'RUNNING');
  const taskText = tasks.length === 0 ? 'no tasks' : tasks.map((t) => `task ${t.id} ${t.state}${t.cause ? `: ${t.cause}` : ''}`).join(', ');
  const cause = connectorFailed ? failureCause(status.connector.trace) : null;
  return {
    name,
    registered: true,
    state: status.connector.state,
    cause,
    trace: connectorFailed ? (status.connector.trace ?? null) : null,
    tasks,
    running,
    failed,
    summary: `${status.connector.state}${cause ? `: ${cause}` : ''}, ${taskText}`,
  };
}

/** The names of the shipped connectors (`connectors/debezium/*.json`). */
export function shippedConnectorNames(): string[] {
  return connectorFiles().map((file) => loadConnector(file).name);
}

async function statusOf(name: string): Promise<ConnectorStatusAnswer | null> {
  const { status, json } = await connectRequest('GET', connectorPath(name, '/status'));
  if (status === 404) return null;
  if (status !== 200) throw new Error(`GET /connectors/${name}/status answered ${status}: ${JSON.stringify(json)}`);
  return json as ConnectorStatusAnswer;
}

/**
 * The health of connectors, sorted by name: the given ones, or else every connector registered on
 * Kafka Connect together with the shipped ones (a shipped connector not applied yet is reported as
 * not registered, not as failed).
 * @throws Error when Kafka Connect does not answer.
 */
export async function connectorHealth(names?: string[]): Promise<ConnectorHealth[]> {
  let wanted = names;
  if (!wanted || wanted.length === 0) {
    const { status, json } = await connectRequest('GET', '/connectors');
    if (status !== 200) throw new Error(`GET /connectors answered ${status}: ${JSON.stringify(json)}`);
    wanted = [...new Set([...(json as string[]), ...shippedConnectorNames()])];
  }
  const health = await Promise.all(wanted.map(async (name) => healthOf(name, await statusOf(name))));
  return health.sort((a, b) => a.name.localeCompare(b.name));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What {@link restartFailed} did for one connector. */
export interface RestartOutcome {
  name: string;
  /** The health that made the restart necessary (what was FAILED, with the causes). */
  before: ConnectorHealth;
  /** The health once every task is RUNNING again, or once something FAILED again, or at the timeout. */
  after: ConnectorHealth;
  /** True when the connector and all its tasks were RUNNING at the end. */
  recovered: boolean;
}

/**
 * Restarts the FAILED connectors and tasks among `names` (default: every connector, see
 * {@link connectorHealth}) and waits, for each, until all its tasks are RUNNING again, until
 * something FAILED again (the cause has not gone away), or until `timeoutMs`.
 * Connectors with nothing FAILED are left alone and not in the result.
 */
export async function restartFailed(names?: string[], options: { timeoutMs?: number } = {}): Promise<RestartOutcome[]> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const failed = (await connectorHealth(names)).filter((h) => h.failed);
  return Promise.all(
    failed.map(async (before): Promise<RestartOutcome> => {
      await requestRestartOfFailed(before.name, timeoutMs);
      const deadline = Date.now() + timeoutMs;
      // Connect's status answers lag the request a little (they go through its status topic): a
      // part that still reads FAILED right after the request has not necessarily failed again. It
      // has once it reads FAILED after reading anything else, or still after a grace period.
      const graceEnd = Date.now() + Math.min(15_000, timeoutMs);
      let seenOtherState = false;
      let after: ConnectorHealth;
      for (;;) {
        after = healthOf(before.name, await statusOf(before.name));
        if (after.running) break;
        if (!after.failed) seenOtherState = true;
        else if (seenOtherState || Date.now() > graceEnd) break;
        if (Date.now() > deadline) break;
        await sleep(500);
      }
      return { name: before.name, before, after, recovered: after.running };
    }),
  );
}
