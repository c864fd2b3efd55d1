/**
 * A fresh sample environment with the pipeline and the channel fan-out running in-process, for the
 * channel tests (on the stack the environment variables point at).
 */
import path from 'node:path';
import pino from 'pino';
import { stackEndpoints, type DatabaseEndpoint } from '../../src/config/endpoints.ts';
import { waitStable } from '../../dev/demo/quiescence.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { channelEndpoint, channelRule, loadChannelsConfig, type ChannelsConfig } from '../../src/channels/config.ts';
import { startChannels, type ChannelCommit, type RunningChannels } from '../../src/channels/fanout.ts';
import { ChannelLatencyRecorder } from '../../dev/demo/channel-latency.ts';
import { resetChannels } from '../../src/channels/reset.ts';
import { createChannelStore, type ChannelStore, type StoredChannelRow } from '../../src/channels/stores.ts';
import { freshEnvironment, quietPipeline, waitForLagZero } from '../helpers/environment.ts';

export const testChannelsFile = path.join(import.meta.dirname, 'channels.test.yaml');

export interface ChannelEnvironment {
  config: ChannelsConfig;
  pipeline: RunningPipeline;
  channels: RunningChannels;
  recorder: ChannelLatencyRecorder;
  commits: ChannelCommit[];
  /** Failed sync attempts per channel. */
  errors: Record<string, number>;
  /** Their messages, in order. */
  errorMessages: string[];
  /** Waits until the pipeline and every channel group have consumed everything (stable 1 s). */
  settle(channelNames?: string[]): Promise<void>;
  /** A channel's row of a SKU, read straight from the channel database. */
  row(channel: string, sku: string): Promise<StoredChannelRow | undefined>;
  store(channel: string): ChannelStore;
  close(): Promise<void>;
}

export async function startChannelEnvironment(options: { endpointOverrides?: Record<string, Partial<DatabaseEndpoint>> } = {}): Promise<ChannelEnvironment> {
  const config = loadChannelsConfig(testChannelsFile);
  await resetChannels({ config, endpointOverrides: options.endpointOverrides });
  await freshEnvironment();
  const pipeline = await quietPipeline();
  await waitForLagZero();
  await pipeline.drainOutbox();

  const recorder = new ChannelLatencyRecorder();
  const commits: ChannelCommit[] = [];
  const errors: Record<string, number> = {};
  const errorMessages: string[] = [];
  const channels = await startChannels({
    config,
    endpointOverrides: options.endpointOverrides,
    logger: pino({ level: 'error' }, pino.destination(2)),
    hooks: {
      onCommitted: (commit) => {
        commits.push(commit);
        recorder.onCommitted(commit);
      },
      onError: (channel, error) => {
        errors[channel] = (errors[channel] ?? 0) + 1;
        errorMessages.push(`${channel}: ${error.message}`);
      },
    },
  });
  const stores = new Map<string, ChannelStore>();
  const store = (name: string) => {
    let s = stores.get(name);
    if (!s) {
      const rule = channelRule(config, name);
      s = createChannelStore(rule, { ...channelEndpoint(rule.store), ...options.endpointOverrides?.[name] }, { rateLimited: false });
      stores.set(name, s);
    }
    return s;
  };

  const env: ChannelEnvironment = {
    config,
    pipeline,
    channels,
    recorder,
    commits,
    errors,
    errorMessages,
    async settle(channelNames) {
      await waitForLagZero(undefined, 60_000);
      await pipeline.drainOutbox();
      const lagOf = async () => {
        const lag = await channels.lag();
        return Object.entries(lag).filter(([name]) => !channelNames || channelNames.includes(name));
      };
      await waitStable(async () => (await lagOf()).every(([, n]) => n === 0), {
        stableMs: 1000,
        timeoutMs: 60_000,
        describe: async () => `channel lag ${JSON.stringify(await lagOf())}`,
      });
      await channels.drainNotifications();
    },
    async row(channel, sku) {
      return (await store(channel).read([sku])).get(sku);
    },
    store,
    async close() {
      await channels.stop();
      await pipeline.stop();
      for (const s of stores.values()) await s.close();
    },
  };
  await env.settle();
  return env;
}

export { stackEndpoints };
