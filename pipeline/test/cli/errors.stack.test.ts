// In the stack tier: it spawns the CLI against closed and silent ports and waits out client timeouts (tens of seconds), too slow for the unit tier.
/**
 * Issue 16 item 7: every error names the component, its address and what to check. The CLI is
 * spawned as a user runs it, against a closed port (nothing listens) or a port whose server takes
 * the connection and never answers — both made here, on the loopback; no stack is needed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.ts';
import { readRecordFixture } from '../fixtures/record-fixture.ts';

const CLI = path.join(projectRoot, 'pipeline/bin/stocksync.js');

/** Runs the CLI with extra environment; resolves with its exit code and output. */
async function stocksync(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A loopback port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that accepts connections and never answers (nor closes them). */
let silent: net.Server;
const sockets = new Set<net.Socket>();
let silentPort: number;

beforeAll(async () => {
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('errors that say who', () => {
  it('an unreachable schema registry: its URL, the request, and what to set', { timeout: 240_000 }, async () => {
    const port = await closedPort();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-errors-')), 'value.avro');
    fs.writeFileSync(file, Buffer.from(readRecordFixture('pos-stockcurrent-insert').value!, 'base64'));
    const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
    const { code, stderr } = await stocksync(['decode', '--format', 'avro', file], { STOCKSYNC_REGISTRY_URL: url });
    expect(code).toBe(1);
    expect(stderr).not.toMatch(/^stocksync: fetch failed$/m);
    expect(stderr).toMatch(
      new RegExp(`^stocksync: schema registry at ${url.replaceAll('.', '\\.')}: GET /schemas/ids/\\d+ \\(4 attempts\\) failed: .*ECONNREFUSED`, 'm'),
    );
    expect(stderr).toContain('STOCKSYNC_REGISTRY_URL');
  });

  it('a Kafka address that accepts and never answers: the brokers, the operation, and what to check', { timeout: 240_000 }, async () => {
    const { code, stderr } = await stocksync(['dlq', 'list'], { STOCKSYNC_KAFKA_BROKERS: `127.0.0.1:${silentPort}` });
    expect(code).toBe(1);
    expect(stderr).not.toMatch(/^stocksync: Broker not connected$/m);
    expect(stderr).toMatch(
      new RegExp(
        `^stocksync: Kafka at 127\\.0\\.0\\.1:${silentPort}: .* failed \\((transient|permanent)\\): .*; a server there took the connection but did not answer as a Kafka broker`,
        'm',
      ),
    );
    expect(stderr).toContain('STOCKSYNC_KAFKA_BROKERS');
  });

  it('an unreachable canonical store: the component, its address, and the variables to check', { timeout: 240_000 }, async () => {
    const port = await closedPort();
    const { code, stderr } = await stocksync(['run', '--metrics-port', '0'], { STOCKSYNC_CANONICAL_HOST: '127.0.0.1', STOCKSYNC_CANONICAL_PORT: String(port) });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `^stocksync: canonical store \\(PostgreSQL \\w+@127\\.0\\.0\\.1:${port}/\\w+\\): cannot connect: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}; nothing accepts connections at 127\\.0\\.0\\.1:${port}`,
        'm',
      ),
    );
    expect(stderr).toContain('STOCKSYNC_CANONICAL_HOST, STOCKSYNC_CANONICAL_PORT');
  });

  it('--metrics-port abc is refused by the option parser, naming the option', { timeout: 240_000 }, async () => {
    const run = await stocksync(['run', '--metrics-port', 'abc']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: option '--metrics-port <port>' argument 'abc' is invalid. not a port number (0 to 65535, 0 = off): "abc"`);
    const channels = await stocksync(['channels', 'run', '--metrics-port', '70000']);
    expect(channels.code).toBe(1);
    expect(channels.stderr).toContain(`argument '70000' is invalid. not a port number`);
  });

  it('a bad port in STOCKSYNC_METRICS_PORT names the variable', { timeout: 240_000 }, async () => {
    const { code, stderr } = await stocksync(['run'], { STOCKSYNC_METRICS_PORT: 'abc' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^stocksync: STOCKSYNC_METRICS_PORT: not a port number \(0 to 65535, 0 = off\): "abc"$/m);
  });
});
