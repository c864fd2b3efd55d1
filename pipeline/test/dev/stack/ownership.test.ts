/**
 * Issue 16 (faults): what `stack up` may call its own. A machine service it restarted is never
 * recorded as the stack's (so `stack down` never stops the machine's PostgreSQL or Redis), and a
 * component it started counts as up only when that very process listens on its port — never
 * because some other process there answers the probe. Fake components with throwaway processes
 * and ports; no service of the stack is touched.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Component } from '../../../dev/stack/components.ts';
import { pidFile } from '../../../dev/stack/components.ts';
import { stackPaths } from '../../../dev/stack/paths.ts';
import { isRecordAlive, listensOn, portHolders, readPidRecord, spawnDaemon, type PidRecord } from '../../../dev/stack/processes.ts';
import { tcpProbe } from '../../../dev/stack/probes.ts';
import { bringUpComponent, stackDown, startRecordFile } from '../../../dev/stack/stack.ts';

let home: string;
const previousHome = process.env.STOCKSYNC_HOME;
/** Processes a test started, killed by pid afterwards. */
const spawned: PidRecord[] = [];
const servers: Array<net.Server | http.Server> = [];

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'stocksync-ownership-'));
  process.env.STOCKSYNC_HOME = home;
  for (const dir of Object.values(stackPaths())) fs.mkdirSync(dir, { recursive: true });
});

afterEach(async () => {
  for (const record of spawned.splice(0)) if (isRecordAlive(record)) process.kill(record.pid, 'SIGKILL');
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  if (previousHome === undefined) delete process.env.STOCKSYNC_HOME;
  else process.env.STOCKSYNC_HOME = previousHome;
  fs.rmSync(home, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a detached node process listening on `port` (like a server `up` starts), recorded for cleanup. */
function listenerProcess(port: number): PidRecord {
  const record = spawnDaemon({
    command: process.execPath,
    args: ['-e', `require('net').createServer().listen(${port}, '127.0.0.1'); setInterval(() => {}, 1000)`],
    logFile: path.join(home, 'logs', 'listener.log'),
  });
  spawned.push(record);
  return record;
}

function fakeComponent(overrides: Partial<Component> & Pick<Component, 'name' | 'ownership' | 'ports' | 'start'>): Component {
  return {
    expected: `a listener on port ${overrides.ports.join('/')}`,
    dependsOn: [],
    timeoutMs: 10_000,
    probe: tcpProbe('127.0.0.1', overrides.ports[0]!),
    ...overrides,
  };
}

const quiet = () => undefined;

describe('stack up and down: what the stack owns', () => {
  it('records a managed component it starts in its pid file, and a machine service only in a note down never reads', () => {
    const paths = stackPaths();
    expect(startRecordFile(paths, { name: 'kafka', ownership: 'managed' })).toBe(pidFile(paths, 'kafka'));
    for (const name of ['postgres', 'redis', 'mariadb']) {
      expect(startRecordFile(paths, { name, ownership: 'machine' })).not.toBe(pidFile(paths, name));
    }
  });

  it('never stops a machine service `up` restarted, even one recorded as the stack’s by an older `up`', async () => {
    const port = await freePort();
    // Stands in for the machine's Redis having died: `up` starts it again.
    const redis = fakeComponent({ name: 'redis', ownership: 'machine', ports: [port], start: async () => listenerProcess(port) });
    const result = await bringUpComponent(redis, stackPaths(), quiet);
    expect(result.action).toBe('started');
    const restarted = readPidRecord(startRecordFile(stackPaths(), redis))!;
    expect(listensOn(restarted.pid, port)).toBe(true);
    expect(fs.existsSync(pidFile(stackPaths(), 'redis'))).toBe(false);

    // What an older `up` left: the machine's PostgreSQL recorded as if the stack owned it.
    const postgres = listenerProcess(await freePort());
    fs.writeFileSync(pidFile(stackPaths(), 'postgres'), JSON.stringify(postgres));

    expect(await stackDown()).toEqual([]);
    expect(isRecordAlive(restarted)).toBe(true);
    expect(isRecordAlive(postgres)).toBe(true);
  });

  it('stops a managed component it started, by pid', async () => {
    const port = await freePort();
    const kafka = fakeComponent({ name: 'kafka', ownership: 'managed', ports: [port], start: async () => listenerProcess(port) });
    expect((await bringUpComponent(kafka, stackPaths(), quiet)).action).toBe('started');
    const record = readPidRecord(pidFile(stackPaths(), 'kafka'))!;
    expect(listensOn(record.pid, port)).toBe(true);
    expect(await stackDown()).toEqual(['kafka']);
    expect(isRecordAlive(record)).toBe(false);
  });
});

describe('stack up: a component it started must be the one that answers', () => {
  it('fails, naming the process that holds the port, when the process it started dies while another one answers', async () => {
    const port = await freePort();
    const other = net.createServer();
    servers.push(other);
    const kafka = fakeComponent({
      name: 'kafka',
      ownership: 'managed',
      ports: [port],
      // The probe had timed out; the second server `up` starts dies on "address in use" while the
      // first one (this test process) takes the port and answers every probe.
      start: async () => {
        const doomed = spawnDaemon({ command: process.execPath, args: ['-e', 'process.exit(1)'], logFile: path.join(home, 'logs', 'kafka.log') });
        await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
        return doomed;
      },
    });
    const error = await bringUpComponent(kafka, stackPaths(), quiet).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^kafka did not start/);
    expect(error?.message).toContain('has exited');
    expect(error?.message).toContain(`port ${port} is held by pid ${process.pid}`);
  });

  it('does not start a second server on a port another process holds, and fails clearly when that one does not answer', async () => {
    const port = await freePort();
    // Holds the port and answers HTTP 503: not what the component's probe expects.
    const squatter = http.createServer((_, res) => res.writeHead(503).end('busy'));
    servers.push(squatter);
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    let starts = 0;
    const registry = fakeComponent({
      name: 'schema-registry',
      ownership: 'managed',
      ports: [port],
      timeoutMs: 3000,
      probe: async () => {
        const response = await fetch(`http://127.0.0.1:${port}/subjects`, { signal: AbortSignal.timeout(2000) });
        if (!response.ok) throw new Error(`answered ${response.status}`);
      },
      start: async () => {
        starts++;
        return listenerProcess(port);
      },
    });
    const error = await bringUpComponent(registry, stackPaths(), quiet).then(
      () => null,
      (e: Error) => e,
    );
    expect(starts).toBe(0);
    expect(error?.message).toMatch(/^schema-registry did not start/);
    expect(error?.message).toContain(`port ${port}: pid ${process.pid}`);
    expect(error?.message).toContain('not started by this stack');
  });

  it('knows which process listens on a port', async () => {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    expect(listensOn(process.pid, port)).toBe(true);
    expect(listensOn(process.pid, await freePort())).toBe(false);
    expect(portHolders(port).map((h) => h.pid)).toEqual([process.pid]);
  });
});
