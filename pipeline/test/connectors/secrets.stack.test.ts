/**
 * Issue 17 part 3: credentials never in plain sight. The connector configs name their passwords as
 * `${env:STOCKSYNC_*_PASSWORD}`, which Kafka Connect resolves from its own environment (Kafka's
 * EnvVarConfigProvider): the tasks reach their databases, yet `GET /connectors/{name}/config`
 * answers the reference, not the password. No password is on the command line of a stack process.
 * Issue 17 part 4: Connect's REST API refuses a request without the REST credentials.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { connectorPath, connectRequest } from '../../src/connectors/connect-rest.ts';
import { pidFile } from '../../dev/stack/components.ts';
import { stackPaths } from '../../dev/stack/paths.ts';
import { isRecordAlive, readPidRecord } from '../../dev/stack/processes.ts';

describe('credentials never in plain sight', () => {
  it('Connect resolves each connector password from its environment and never answers it', { timeout: 600_000 }, async () => {
    for (const file of connectorFiles()) {
      const connector = loadConnector(file);
      // RUNNING means Connect resolved the reference: the POS MariaDB refuses any other password.
      await applyConnector(connector);
      const { status, json } = await connectRequest('GET', connectorPath(connector.name, '/config'));
      expect(status).toBe(200);
      const secrets = Object.entries(json as Record<string, string>).filter(([key]) => /password/i.test(key));
      expect(secrets.map(([key]) => key)).toEqual(['database.password']);
      for (const [key, value] of secrets) expect(value, `${connector.name} ${key}`).toMatch(/^\$\{env:STOCKSYNC_[A-Z0-9_]+_PASSWORD\}$/);
    }
  });

  it('Connect refuses an anonymous or wrongly authenticated request, and creates nothing', async () => {
    const { connectUrl, connectRest } = stackEndpoints();
    const name = 'stocksync-anonymous-probe';
    const body = JSON.stringify({ name, config: { 'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector', topics: 'none' } });
    const wrong = `Basic ${Buffer.from(`${connectRest.user}:not-${connectRest.password}`).toString('base64')}`;
    for (const headers of [{}, { authorization: wrong }] as Array<Record<string, string>>) {
      const post = await fetch(`${connectUrl}/connectors`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect(post.status).toBe(401);
      expect((await fetch(`${connectUrl}/connectors`, { headers })).status).toBe(401);
    }
    const list = await connectRequest('GET', '/connectors');
    expect(list.status).toBe(200);
    expect(list.json).not.toContain(name);
  });

  it('puts no password on the command line of the registry or Connect', () => {
    const paths = stackPaths();
    for (const name of ['schema-registry', 'kafka-connect']) {
      // The stack's own pid files (STOCKSYNC_HOME/run): the processes `stack up` started.
      const record = readPidRecord(pidFile(paths, name));
      expect(record && isRecordAlive(record), `${name} runs, started by stack up`).toBe(true);
      if (!record) continue;
      const commandLine = fs.readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0').join(' ');
      expect(commandLine, name).toContain('java');
      expect(commandLine, name).not.toMatch(/password/i);
    }
  });
});
