/**
 * Issue 16, "Channel rate limits are per process": the channel's request limit is kept in Redis,
 * so it holds across `channels run` processes. Two `channels run` processes share a marketplace
 * channel limited to 2 requests/s (batches of 1 SKU, so the snapshot's backlog keeps both busy);
 * over a measured window the requests both processes report (`stocksync_channel_requests_total`,
 * scraped from each one's metrics port) stay within what the limit allows in that window — two
 * processes with a limit each would make twice as many.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChannelsConfig } from '../../src/channels/config.ts';
import { resetChannels } from '../../src/channels/reset.ts';
import { rateWindow } from '../../src/channels/stores.ts';
import { eventually, freshEnvironment, quietPipeline, waitForLagZero } from '../helpers/environment.ts';
import { startProductProcess, type ProductProcess } from '../helpers/processes.ts';

const RATE = { requestsPerSecond: 2, burst: 2 };
const WINDOW_MS = 20_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocksync-rate-'));
const channelsFile = path.join(dir, 'channels.yaml');
fs.writeFileSync(
  channelsFile,
  `channels:
  marketplace:
    store: { kind: postgres, endpoint: marketplace, table: channel_stock }
    locations: ["WH*/Stock"]
    rate_limit: { requests_per_second: ${RATE.requestsPerSecond}, burst: ${RATE.burst} }
    batch_size: 1
`,
);
const processes: Array<{ process: ProductProcess; port: number }> = [];

/** A TCP port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The marketplace requests a process has made, from its metrics (0 before its first). */
async function requests(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('stocksync_channel_requests_total{channel="marketplace"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

beforeAll(async () => {
  const config = loadChannelsConfig(channelsFile);
  await resetChannels({ config });
  await freshEnvironment();
  const pipeline = await quietPipeline();
  await waitForLagZero();
  await pipeline.drainOutbox();
  await pipeline.stop();
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    processes.push({ process: startProductProcess(['channels', 'run', '--metrics-port', String(port)], { STOCKSYNC_CHANNELS_FILE: channelsFile }), port });
  }
}, 600_000);

afterAll(async () => {
  for (const { process } of processes) await process.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a channel rate limit shared by two channels run processes', () => {
  it('holds for both together', { timeout: 300_000 }, async () => {
    // Both processes have their partitions and are writing (the backlog lasts minutes at this rate).
    await eventually(
      async () => Promise.all(processes.map(({ port }) => requests(port).catch(() => 0))),
      (counts) => counts.every((n) => n > 0),
      120_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${processes.map(({ process }) => process.output().slice(-2000)).join('\n---\n')}`);
    });
    const before = await Promise.all(processes.map(({ port }) => requests(port)));
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const after = await Promise.all(processes.map(({ port }) => requests(port)));
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    for (const { process } of processes) expect(process.alive(), process.output().slice(-2000)).toBe(true);

    const made = after.map((n, i) => n - before[i]!);
    const total = made[0]! + made[1]!;
    // At most `points` per window, for every window the measured span touches.
    const { points, durationSeconds } = rateWindow(RATE);
    const allowed = points * (Math.ceil(elapsedSeconds / durationSeconds) + 1);
    expect(total, `requests ${JSON.stringify(made)} in ${elapsedSeconds.toFixed(1)} s`).toBeLessThanOrEqual(allowed);
    // Both wrote meanwhile, and together they used most of the limit (so it was the limit that held them).
    for (const n of made) expect(n).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(Math.floor(RATE.requestsPerSecond * elapsedSeconds * 0.6));
  });
});
