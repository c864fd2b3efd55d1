import { Option, type Command } from 'commander';
import { loadChannelsConfig } from '../channels/index.ts';
import { hashApiKey, loadApiKeys, newApiKey, startApi } from '../api/index.ts';
import { integerArgument, portArgument, portFrom } from './options.ts';
import { untilSignal } from './signals.ts';

/** `stocksync api [serve] | api key`: the availability API for channel apps (docs/api.md). */
export function register(program: Command): void {
  const api = program.command('api').description('HTTP availability API for channel apps: OpenAPI, ETags, batch, Server-Sent Events (docs/api.md)');

  api
    .command('serve', { isDefault: true })
    .description('serve the API until SIGINT/SIGTERM (the default subcommand: `stocksync api`)')
    .addOption(
      new Option('--port <port>', 'listen port (default STOCKSYNC_API_PORT or 8080)').argParser(portArgument).default(process.env.STOCKSYNC_API_PORT ?? '8080'),
    )
    .option('--host <address>', 'listen address (default STOCKSYNC_API_HOST or 127.0.0.1)', process.env.STOCKSYNC_API_HOST ?? '127.0.0.1')
    .option(
      '--keys-file <file>',
      'API keys, YAML or JSON { keys: [...] } (default STOCKSYNC_API_KEYS_FILE; also STOCKSYNC_API_KEYS)',
      process.env.STOCKSYNC_API_KEYS_FILE,
    )
    .option('--rate-limit <n>', 'requests per minute of a key that sets none', integerArgument(1), 6000)
    .option('--log', 'log every request as a JSON line to standard output')
    .action(async (options: { port: number | string; host: string; keysFile?: string; rateLimit: number; log?: boolean }) => {
      const keys = loadApiKeys(options.keysFile);
      if (keys.size === 0)
        throw new Error('no API keys: give --keys-file or STOCKSYNC_API_KEYS (make one with `npx stocksync api key --id <name> --channels <channel>`)');
      const running = await startApi({
        keys,
        config: loadChannelsConfig(),
        host: options.host,
        port: portFrom(options.port, 'STOCKSYNC_API_PORT'),
        ratePerMinute: options.rateLimit,
        logger: options.log === true,
      });
      console.error(`stocksync api: listening on ${running.url} (${keys.size} key(s)); OpenAPI at ${running.url}/openapi.json, docs at ${running.url}/docs`);
      await untilSignal();
      await running.close();
    });

  api
    .command('key')
    .description('make a new API key: prints the key (once) and the entry to add to the keys file')
    .requiredOption('--id <name>', 'who holds the key (letters, digits, . _ -)')
    .requiredOption('--channels <names>', 'comma-separated channels the key may read, or *')
    .option('--stock', 'the key may also read GET /v1/stock/{sku}')
    .option('--rate-limit <n>', "requests per minute (default: the server's --rate-limit)", integerArgument(1))
    .action((options: { id: string; channels: string; stock?: boolean; rateLimit?: number }) => {
      const secret = newApiKey();
      const entry = {
        id: options.id,
        sha256: hashApiKey(secret),
        channels: options.channels
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
        ...(options.stock ? { stock: true } : {}),
        ...(options.rateLimit ? { rate_limit_per_minute: options.rateLimit } : {}),
      };
      console.error('the key (give it to the channel app; it is not stored anywhere):');
      console.log(secret);
      console.error('add this entry under `keys:` in the keys file (or to the STOCKSYNC_API_KEYS JSON array):');
      console.error(`  - ${JSON.stringify(entry)}`);
    });
}
