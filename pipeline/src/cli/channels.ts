import path from 'node:path';
import type { Command } from 'commander';
import {
  channelEndpoint,
  ChannelsConfigError,
  checkChannels,
  checkChannelsConfig,
  createAvailabilityReader,
  defaultChannelsFile,
  loadChannelsConfig,
  resetChannels,
  resyncChannel,
  startChannels,
  type ChannelRule,
} from '../channels/index.ts';
import { serveMetrics } from '../metrics/server.ts';
import { loadMappings } from '../normalize/index.ts';
import { stackEndpoints } from '../config/endpoints.ts';
import { explainConnectionFailure, type NamedEndpoint } from './endpoint-errors.ts';
import { metricsPortOption, portFrom } from './options.ts';
import { untilSignal } from './signals.ts';

/** `stocksync channels check | run | oracle | get | reset | resync`. */
export function register(program: Command): void {
  const channels = program.command('channels').description('available to sell per sales channel: rules, channel databases, Redis helper (docs/channels.md)');

  channels
    .command('check')
    .description("validate the channel rules file and print each channel's rules")
    .argument('[file]', 'channels file', process.env.STOCKSYNC_CHANNELS_FILE ?? defaultChannelsFile)
    .action(async (file: string) => {
      let config;
      try {
        config = loadChannelsConfig(file);
      } catch (error) {
        if (error instanceof ChannelsConfigError) {
          console.error(error.message);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
      const { problems, warnings } = checkChannelsConfig(config, loadMappings());
      const where = (p: { file: string; line: number; column: number }) => `${path.relative(process.cwd(), p.file)}:${p.line}:${p.column}`;
      for (const p of problems) {
        console.error(`${where(p)}: error: ${p.message}`);
        if (p.hint) console.error(`  hint: ${p.hint}`);
      }
      if (problems.length > 0) {
        console.error(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
        process.exitCode = 1;
        return;
      }
      for (const rule of config.channels) {
        console.log(describeRule(rule));
        for (const w of warnings.filter((w) => w.message.startsWith(`channels.${rule.name}.`))) console.log(`  warning: ${where(w)}: ${w.message}`);
      }
      console.log(`${file}: ${config.channels.length} channel(s), OK`);
    });

  channels
    .command('run')
    .description('run the channel fan-out (one consumer group per channel on stock.levels) until SIGINT/SIGTERM')
    .option('--channels <names>', 'comma-separated channel names (default all)')
    .addOption(metricsPortOption('STOCKSYNC_CHANNELS_METRICS_PORT', 9465))
    .action(async (options: { channels?: string; metricsPort: number | string }) => {
      let running: Awaited<ReturnType<typeof startChannels>> | undefined;
      const server = await serveMetrics(portFrom(options.metricsPort, 'STOCKSYNC_CHANNELS_METRICS_PORT'), '--metrics-port', () => running?.readiness());
      running = await startChannels({
        channels: options.channels
          ?.split(',')
          .map((c) => c.trim())
          .filter(Boolean),
      }).catch((error: unknown) => {
        server?.close();
        throw explainConnectionFailure(error, channelDatabases());
      });
      await untilSignal();
      server?.close();
      await running.stop();
    });

  channels
    .command('oracle')
    .description('compare every channel table with the rules applied to the canonical table (exit 1 on any mismatch)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await checkChannels().catch((error: unknown) => {
        throw explainConnectionFailure(error, channelDatabases());
      });
      if (options.json) console.log(JSON.stringify(report));
      else {
        for (const c of report.channels) {
          console.log(`${c.channel}: ${c.expectedRows} expected rows, ${c.channelRows} channel rows, ${c.mismatches.length} mismatches`);
          for (const m of c.mismatches.slice(0, 20))
            console.log(`  ${m.kind} ${m.sku}: expected ${JSON.stringify(m.expected)}, channel ${JSON.stringify(m.actual)}`);
        }
      }
      if (report.mismatches.length > 0) process.exitCode = 1;
    });

  channels
    .command('get')
    .description('available to sell of a SKU on a channel, through the Redis cache-aside helper')
    .argument('<sku>')
    .argument('<channel>')
    .action(async (sku: string, channel: string) => {
      const reader = createAvailabilityReader();
      try {
        console.log(JSON.stringify(await reader.getAvailability(sku, channel)));
      } finally {
        await reader.close();
      }
    });

  channels
    .command('reset')
    .description('empty every channel table, the channel groups, mirror and streams (channel consumers must be stopped)')
    .action(async () => {
      await resetChannels().catch((error: unknown) => {
        throw explainConnectionFailure(error, channelDatabases());
      });
      console.log('channels reset');
    });

  channels
    .command('resync')
    .description('rewrite one channel from the whole stock.levels topic on the next `channels run` (its consumers must be stopped)')
    .argument('<channel>')
    .action(async (channel: string) => {
      await resyncChannel(channel);
      console.log(`${channel}: will be rewritten from the start of stock.levels by the next \`stocksync channels run\``);
    });
}

/** The databases the channel commands reach: the canonical store and each channel's store. */
function channelDatabases(): NamedEndpoint[] {
  const endpoints = stackEndpoints();
  const named: NamedEndpoint[] = [{ component: 'canonical store', endpoint: { ...endpoints.canonical, name: 'canonical' } }];
  for (const rule of loadChannelsConfig().channels) {
    try {
      named.push({ component: `channel ${rule.name} database`, endpoint: { ...channelEndpoint(rule.store, endpoints), name: rule.store.endpoint } });
    } catch {
      // a store kind that does not fit its endpoint: `channels check` reports it
    }
  }
  return named;
}

function describeRule(rule: ChannelRule): string {
  const endpoint = channelEndpoint(rule.store);
  const safety = [
    rule.safetyStock.fromSource ? 'from the source when stated' : null,
    ...Object.entries(rule.safetyStock.byLocation).map(([l, v]) => `${l}: ${v}`),
    `otherwise ${rule.safetyStock.default}`,
  ].filter(Boolean);
  const buffer = rule.buffer === null ? 'none' : 'units' in rule.buffer ? `${rule.buffer.units} units` : `${rule.buffer.percent}%`;
  return [
    `${rule.name}${rule.description ? ` — ${rule.description}` : ''}`,
    `  store        ${rule.store.kind} ${endpoint.host}:${endpoint.port} ${endpoint.database}.${rule.store.table}`,
    `  locations    ${rule.locations.join(', ')}`,
    `  safety stock ${safety.join('; ')}`,
    `  buffer       ${buffer}`,
    `  cap          ${rule.cap ?? 'none'}`,
    `  rate limit   ${rule.rateLimit.requestsPerSecond} requests/s, burst ${rule.rateLimit.burst}`,
    `  batch size   ${rule.batchSize} SKUs per write`,
    `  low stock    ${describeLowStock(rule)}`,
  ].join('\n');
}

function describeLowStock(rule: ChannelRule): string {
  const parts = [
    ...Object.entries(rule.lowStock.skus).map(([sku, t]) => `${sku} at ${t}`),
    ...rule.lowStock.patterns.map(([pattern, t]) => `${pattern} at ${t}`),
    rule.lowStock.default === null ? 'otherwise no alert' : `otherwise at ${rule.lowStock.default}`,
  ];
  return `alert when available to sell is at or below: ${parts.join('; ')}`;
}
