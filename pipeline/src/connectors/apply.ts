/**
 * `stocksync connectors apply`: PUTs each connector config in `connectors/debezium/*.json` to
 * Kafka Connect (`PUT /connectors/{name}/config`, idempotent) and waits until the connector and
 * all its tasks are RUNNING. Configs hold `${STOCKSYNC_*}` placeholders for hosts and users,
 * filled from the environment (defaults: the local stack's, see config/endpoints.ts). Passwords
 * are `${env:STOCKSYNC_*_PASSWORD}` references, which Kafka Connect resolves from its own
 * environment when a task starts (Kafka's EnvVarConfigProvider, KIP-887): so the config Connect
 * stores and returns on `GET /connectors/{name}/config` holds no secret (docs/security.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { databaseVariableValues, STACK_DATABASES, stackEndpoints, type Environment } from '../config/endpoints.ts';
import { projectRoot } from '../config/project-root.ts';
import { connectorPath, connectRequest, requestRestartOfFailed, type ConnectorStatusAnswer } from './connect-rest.ts';

/** A connector file: `{ name, config }`, as Kafka Connect's POST /connectors takes it. */
export interface ConnectorFile {
  name: string;
  config: Record<string, string>;
}

/** Folder of the shipped connector configs. */
export const connectorsDir = path.join(projectRoot, 'connectors', 'debezium');

/**
 * The values placeholders may name: each `STOCKSYNC_*` variable, from the environment or its default
 * (every database's `STOCKSYNC_<NAME>_HOST`, `_PORT`, `_USER`, `_PASSWORD`, `_DATABASE` among them).
 * `seenBy: 'connect'` (default) applies `STOCKSYNC_CONNECT_*` overrides (addresses as Kafka Connect
 * sees them); `'cli'` gives the addresses this process uses.
 */
export function placeholderValues(seenBy: 'connect' | 'cli' = 'connect', env: Environment = process.env): Record<string, string> {
  // Kafka Connect may see the databases at other addresses than this CLI does (inside a Compose
  // network, `pos:3306` rather than `127.0.0.1:3307`): STOCKSYNC_CONNECT_<NAME> wins for connectors,
  // also where another value defaults to it (the ERPNext endpoint follows the POS server's).
  const seen: Record<string, string | undefined> = { ...env };
  if (seenBy === 'connect') {
    for (const [name, value] of Object.entries(env)) {
      if (name.startsWith('STOCKSYNC_CONNECT_') && value !== undefined) seen[name.replace(/^STOCKSYNC_CONNECT_/, 'STOCKSYNC_')] = value;
    }
  }
  const e = stackEndpoints(seen);
  const values: Record<string, string> = {
    STOCKSYNC_KAFKA_BROKERS: e.kafkaBrokers.join(','),
    STOCKSYNC_APICURIO_URL: e.apicurioUrl,
    STOCKSYNC_REGISTRY_URL: e.registryUrl,
  };
  for (const name of STACK_DATABASES) Object.assign(values, databaseVariableValues(name, e[name]));
  // Any other STOCKSYNC_* variable set in the environment may be used too (e.g. for a new source).
  for (const [name, value] of Object.entries(seen)) {
    if (name.startsWith('STOCKSYNC_') && value !== undefined && !(name in values)) values[name] = value;
  }
  return values;
}

/** Thrown when a connector file's placeholder has no value, or a value that would change the config's meaning. */
export class PlaceholderError extends Error {}

/**
 * What the value of a placeholder may hold, by the end of its name. Such values are spliced into
 * lists and patterns (`table.include.list: ${STOCKSYNC_POS_DATABASE}.products,…`), where a comma,
 * a quote or a regex character would capture or connect to something else (docs/design.md
 * invariant 8). Other placeholders (passwords, URLs, broker lists) fill a whole value.
 */
const PLACEHOLDER_VALUES: Array<{ name: RegExp; value: RegExp; what: string }> = [
  { name: /_HOST$/, value: /^[A-Za-z0-9._:[\]-]+$/, what: "a host name or address (letters, digits, '.', '-', '_', ':', '[', ']')" },
  { name: /_PORT$/, value: /^[0-9]{1,5}$/, what: 'a port number' },
  { name: /_USER$/, value: /^[A-Za-z0-9._@-]+$/, what: "a user name (letters, digits, '.', '_', '-', '@')" },
  { name: /_DATABASE$/, value: /^[A-Za-z0-9_-]+$/, what: "a database name (letters, digits, '_', '-')" },
];

/** The config provider alias of Kafka Connect workers for environment variables (`config.providers=env`). */
export const ENV_CONFIG_PROVIDER = 'env';

/** The variables a Kafka Connect worker must offer through its `env` config provider: the passwords. */
export const CONNECT_SECRET_VARIABLES = /^STOCKSYNC_[A-Z0-9_]*_PASSWORD$/;

/**
 * Reads a connector file and fills its placeholders. `${env:NAME}` references are left to Kafka
 * Connect ({@link resolveEnvReferences} resolves them for this process).
 * @throws PlaceholderError naming the file, the key and the variable when a placeholder has no
 *   value, a host, port, user or database variable holds a value that is not one, or a
 *   placeholder would put a secret into a key that holds a password.
 */
export function loadConnector(file: string, values = placeholderValues()): ConnectorFile {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as ConnectorFile;
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw.config)) {
    config[key] = String(value).replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
      if (/password/i.test(key)) {
        throw new PlaceholderError(
          `${file}: ${key} uses \${${name}}, which would put the secret into the config Kafka Connect stores and returns; write \${${ENV_CONFIG_PROVIDER}:${name}}, resolved by Connect from its environment (docs/security.md)`,
        );
      }
      const filled = values[name];
      if (filled === undefined) throw new PlaceholderError(`${file}: ${key} uses \${${name}}, which is not set`);
      const rule = PLACEHOLDER_VALUES.find((r) => r.name.test(name));
      if (rule && !rule.value.test(filled)) {
        throw new PlaceholderError(`${file}: ${key} uses \${${name}}, whose value ${JSON.stringify(filled)} is not ${rule.what}; fix ${name}`);
      }
      return filled;
    });
  }
  return { name: raw.name, config };
}

/**
 * A connector config value with its `${env:NAME}` references replaced by `values[NAME]`, as this
 * process needs it (a password, to reach the source database itself; `values` as for the CLI).
 * @throws PlaceholderError when a referenced variable has no value.
 */
export function resolveEnvReferences(value: string, values = placeholderValues('cli')): string {
  return value.replace(new RegExp(`\\$\\{${ENV_CONFIG_PROVIDER}:([A-Za-z0-9_]+)\\}`, 'g'), (_, name: string) => {
    const resolved = values[name];
    if (resolved === undefined) throw new PlaceholderError(`\${${ENV_CONFIG_PROVIDER}:${name}}: ${name} is not set`);
    return resolved;
  });
}

/**
 * The environment a Kafka Connect worker needs for the shipped connector configs: each database's
 * `STOCKSYNC_*_PASSWORD` as Connect's databases take it ({@link placeholderValues} `'connect'`);
 * not the `STOCKSYNC_CONNECT_*` variables themselves, nor the REST API's own password.
 */
export function connectSecretEnvironment(env: Environment = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(placeholderValues('connect', env)).filter(([name]) => CONNECT_SECRET_VARIABLES.test(name) && !/^STOCKSYNC_(CONNECT_|REST_)/.test(name)),
  );
}

/** Every connector file of `connectors/debezium/` (or `$STOCKSYNC_CONNECTORS_DIR` when set), sorted by name. */
export function connectorFiles(): string[] {
  // A data engineer may keep the connector configs elsewhere (e.g. beside their own mapping files).
  const dir = process.env.STOCKSYNC_CONNECTORS_DIR || connectorsDir;
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown when a connector or task reports FAILED; carries Kafka Connect's stack trace. */
export class ConnectorFailedError extends Error {}

/**
 * PUTs one connector config (retrying while Connect answers 409 during a rebalance) and waits
 * for RUNNING. A FAILED connector or task (say, one that failed while the schema registry was down
 * and that Connect never restarts by itself) is reported through `log` with its trace and
 * restarted once (`POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true`).
 * @throws ConnectorFailedError with the trace when it FAILED again after that restart; Error on timeout.
 */
export async function applyConnector(connector: ConnectorFile, timeoutMs = 120_000, log: (line: string) => void = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const put = await connectRequest('PUT', connectorPath(connector.name, '/config'), connector.config);
    if (put.status === 200 || put.status === 201) break;
    if (put.status !== 409 || Date.now() > deadline) {
      throw new Error(`PUT /connectors/${connector.name}/config answered ${put.status}: ${JSON.stringify(put.json)}`);
    }
    await sleep(1000);
  }
  let last = '';
  let restartedAt: number | null = null;
  let seenOtherState = false;
  while (Date.now() < deadline) {
    const { status, json } = await connectRequest('GET', connectorPath(connector.name, '/status'));
    if (status === 200) {
      const s = json as ConnectorStatusAnswer;
      const parts = [{ which: 'connector', ...s.connector }, ...s.tasks.map((t) => ({ which: `task ${t.id}`, ...t }))];
      const failed = parts.find((t) => t.state === 'FAILED');
      if (!failed && restartedAt !== null) seenOtherState = true;
      if (failed) {
        const { which } = failed;
        if (restartedAt === null) {
          log(`${connector.name}: ${which} FAILED; restarting the FAILED connector/tasks. Trace:\n${failed.trace ?? '(no trace)'}`);
          await requestRestartOfFailed(connector.name, Math.max(1000, deadline - Date.now()));
          restartedAt = Date.now();
        } else if (seenOtherState || Date.now() - restartedAt > 15_000) {
          // Failed again after the restart: the cause is still there (see the trace).
          throw new ConnectorFailedError(`connector ${connector.name} ${which} FAILED again after a restart:\n${failed.trace ?? '(no trace)'}`);
        }
      } else if (s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING')) {
        return;
      }
      last = `connector ${s.connector.state}, tasks ${s.tasks.map((t) => t.state).join(',') || 'none yet'}`;
    }
    await sleep(500);
  }
  throw new Error(`connector ${connector.name} not RUNNING after ${timeoutMs} ms (${last})`);
}

/** Deletes a connector (its offsets stay in Connect's offset topic). */
export async function deleteConnector(name: string): Promise<void> {
  const { status, json } = await connectRequest('DELETE', connectorPath(name));
  if (status >= 300 && status !== 404) throw new Error(`delete ${name} answered ${status}: ${JSON.stringify(json)}`);
}

/**
 * Stops a connector and deletes its source offsets (KIP-875: PUT /connectors/{name}/stop, then
 * DELETE /connectors/{name}/offsets), then deletes the connector — so applying it again takes a
 * fresh snapshot. A connector that does not exist is ignored.
 */
export async function deleteConnectorAndOffsets(name: string): Promise<void> {
  const stop = await connectRequest('PUT', connectorPath(name, '/stop'));
  if (stop.status === 404) return;
  if (stop.status >= 300) throw new Error(`stop ${name} answered ${stop.status}: ${JSON.stringify(stop.json)}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { json } = await connectRequest('GET', connectorPath(name, '/status'));
    if ((json as ConnectorStatusAnswer | null)?.connector?.state === 'STOPPED') break;
    if (Date.now() > deadline) throw new Error(`connector ${name} did not reach STOPPED`);
    await sleep(250);
  }
  for (;;) {
    const offsets = await connectRequest('DELETE', connectorPath(name, '/offsets'));
    if (offsets.status < 300) break;
    // Connect answers 409 while the stop is still propagating to the tasks.
    if (offsets.status !== 409 || Date.now() > deadline) {
      throw new Error(`delete offsets of ${name} answered ${offsets.status}: ${JSON.stringify(offsets.json)}`);
    }
    await sleep(500);
  }
  await deleteConnector(name);
}
