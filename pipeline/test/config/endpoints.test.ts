/**
 * One convention for every database's endpoint (STOCKSYNC_<NAME>_HOST/PORT/USER/PASSWORD/DATABASE),
 * the local stack's defaults, and the connector placeholders filled from it. Pure unit test: the
 * environment is given, never read from the process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_DATABASES, stackEndpoints } from '../../src/config/endpoints.ts';
import { channelEndpoint } from '../../src/channels/config.ts';
import { connectorFiles, connectSecretEnvironment, loadConnector, placeholderValues, resolveEnvReferences } from '../../src/connectors/apply.ts';
import { projectRoot } from '../../src/config/project-root.ts';

describe('database endpoints', () => {
  it("defaults to the local stack's databases", () => {
    const e = stackEndpoints({});
    expect(e.pos).toEqual({ kind: 'mysql', host: '127.0.0.1', port: 3307, user: 'stocksync', password: 'stocksync', database: 'pos' });
    expect(e.erpnext).toEqual({ ...e.pos, database: 'erpnext' });
    expect(e.warehouse).toEqual({ kind: 'postgres', host: '127.0.0.1', port: 5433, user: 'stocksync', password: 'stocksync', database: 'wms' });
    expect(e.canonical).toEqual({
      kind: 'postgres',
      host: '127.0.0.1',
      port: 5432,
      user: 'stocksync_pipeline',
      password: 'stocksync_pipeline',
      database: 'stocksync',
    });
    expect(e.webshop).toEqual({
      kind: 'mysql',
      host: '127.0.0.1',
      port: 3306,
      user: 'stocksync_webshop',
      password: 'stocksync_webshop',
      database: 'channel_webshop',
    });
    expect(e.marketplace).toEqual({ ...e.canonical, user: 'stocksync_marketplace', password: 'stocksync_marketplace', database: 'channel_marketplace' });
  });

  it('reads every database from STOCKSYNC_<NAME>_HOST, _PORT, _USER, _PASSWORD, _DATABASE', () => {
    for (const name of STACK_DATABASES) {
      const p = `STOCKSYNC_${name.toUpperCase()}_`;
      const e = stackEndpoints({
        [`${p}HOST`]: `${name}.example`,
        [`${p}PORT`]: '4242',
        [`${p}USER`]: 'u',
        [`${p}PASSWORD`]: 'pw',
        [`${p}DATABASE`]: `db_${name}`,
      });
      expect(e[name], name).toMatchObject({ host: `${name}.example`, port: 4242, user: 'u', password: 'pw', database: `db_${name}` });
    }
  });

  it('puts ERPNext on the POS server unless its own variables say otherwise', () => {
    expect(stackEndpoints({ STOCKSYNC_POS_PORT: '13307', STOCKSYNC_POS_HOST: 'pos.example' }).erpnext).toMatchObject({
      host: 'pos.example',
      port: 13307,
      database: 'erpnext',
    });
    expect(stackEndpoints({ STOCKSYNC_POS_PORT: '13307', STOCKSYNC_ERPNEXT_PORT: '3310' }).erpnext.port).toBe(3310);
  });

  it('gives channel stores the same convention: the stack channel databases by name, any other name by kind', () => {
    const env = { STOCKSYNC_CANONICAL_PORT: '15432', STOCKSYNC_OUTLET_PORT: '3999' };
    const e = stackEndpoints(env);
    expect(channelEndpoint({ kind: 'mariadb', endpoint: 'webshop' }, e, env)).toEqual(e.webshop);
    expect(channelEndpoint({ kind: 'postgres', endpoint: 'marketplace' }, e, env)).toEqual(e.marketplace);
    expect(channelEndpoint({ kind: 'mariadb', endpoint: 'outlet' }, e, env)).toEqual({
      kind: 'mysql',
      host: '127.0.0.1',
      port: 3999,
      user: 'root',
      password: '',
      database: 'channel_outlet',
    });
    expect(channelEndpoint({ kind: 'postgres', endpoint: 'b2b' }, e, env)).toEqual({ ...e.canonical, database: 'channel_b2b' });
  });

  it('keeps the second stack apart by the variables of deploy/local/second-stack.env', () => {
    const env: Record<string, string> = {};
    for (const line of fs.readFileSync(path.join(projectRoot, 'deploy/local/second-stack.env'), 'utf8').split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) env[m[1]!] = m[2]!;
    }
    const e = stackEndpoints(env);
    expect([e.pos.port, e.erpnext.port, e.warehouse.port]).toEqual([13307, 13307, 15433]);
    expect([e.canonical.database, e.webshop.database, e.marketplace.database]).toEqual([
      'stocksync_second',
      'channel_webshop_second',
      'channel_marketplace_second',
    ]);
  });
});

describe('connector placeholders', () => {
  it('fills every placeholder of the shipped connectors from the defaults', () => {
    const values = placeholderValues('connect', {});
    for (const file of connectorFiles()) expect(() => loadConnector(file, values)).not.toThrow();
  });

  it('lets STOCKSYNC_CONNECT_<NAME> give the addresses Kafka Connect sees, ERPNext following the POS server', () => {
    const env = { STOCKSYNC_CONNECT_POS_HOST: 'pos', STOCKSYNC_CONNECT_POS_PORT: '3306', STOCKSYNC_ERPNEXT_DATABASE: 'erp' };
    const connect = placeholderValues('connect', env);
    expect([
      connect.STOCKSYNC_POS_HOST,
      connect.STOCKSYNC_POS_PORT,
      connect.STOCKSYNC_ERPNEXT_HOST,
      connect.STOCKSYNC_ERPNEXT_PORT,
      connect.STOCKSYNC_ERPNEXT_DATABASE,
    ]).toEqual(['pos', '3306', 'pos', '3306', 'erp']);
    const cli = placeholderValues('cli', env);
    expect([cli.STOCKSYNC_POS_HOST, cli.STOCKSYNC_POS_PORT, cli.STOCKSYNC_ERPNEXT_HOST, cli.STOCKSYNC_ERPNEXT_PORT]).toEqual([
      '127.0.0.1',
      '3307',
      '127.0.0.1',
      '3307',
    ]);
  });

  it('leaves passwords to Connect as env config provider references, resolved from the same values for the CLI and for the worker', () => {
    const env = { STOCKSYNC_POS_PASSWORD: `s3cr'et;--`, STOCKSYNC_CONNECT_WAREHOUSE_PASSWORD: 'seen-by-connect' };
    for (const file of connectorFiles()) {
      const { config } = loadConnector(file, placeholderValues('connect', env));
      expect(config['database.password'], file).toMatch(/^\$\{env:STOCKSYNC_(POS|ERPNEXT|WAREHOUSE)_PASSWORD\}$/);
    }
    expect(resolveEnvReferences(`\${env:STOCKSYNC_POS_PASSWORD}`, placeholderValues('cli', env))).toBe(`s3cr'et;--`);
    expect(() => resolveEnvReferences(`\${env:STOCKSYNC_NOSUCH_PASSWORD}`, placeholderValues('cli', env))).toThrow(/STOCKSYNC_NOSUCH_PASSWORD is not set/);
    const worker = connectSecretEnvironment(env);
    expect(worker).toMatchObject({
      STOCKSYNC_POS_PASSWORD: `s3cr'et;--`,
      STOCKSYNC_ERPNEXT_PASSWORD: `s3cr'et;--`,
      STOCKSYNC_WAREHOUSE_PASSWORD: 'seen-by-connect',
    });
    expect(Object.keys(worker).every((name) => name.endsWith('_PASSWORD') && !name.startsWith('STOCKSYNC_CONNECT_'))).toBe(true);
    expect(connectSecretEnvironment({ STOCKSYNC_CONNECT_REST_PASSWORD: 'rest' })).not.toHaveProperty('STOCKSYNC_REST_PASSWORD');
  });

  it('refuses a placeholder that would put a password into the config Connect stores', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'connector-')), 'plain.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'plain', config: { 'database.password': `\${STOCKSYNC_POS_PASSWORD}` } }));
    expect(() => loadConnector(file, placeholderValues('connect', {}))).toThrow(
      /database\.password uses \$\{STOCKSYNC_POS_PASSWORD\}, which would put the secret into the config Kafka Connect stores and returns; write \$\{env:STOCKSYNC_POS_PASSWORD\}/,
    );
  });

  it('still offers any other STOCKSYNC_* variable', () => {
    expect(placeholderValues('cli', { STOCKSYNC_NEWSOURCE_HOST: 'db.example' }).STOCKSYNC_NEWSOURCE_HOST).toBe('db.example');
  });
});
