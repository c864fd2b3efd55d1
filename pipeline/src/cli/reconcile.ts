import path from 'node:path';
import type { Command } from 'commander';
import { loadMapping, loadMappings } from '../normalize/index.ts';
import { formatReport, reconcile } from '../reconcile/index.ts';
import { PIPELINE_GROUP_ID } from '../config/names.ts';
import { serveMetrics } from '../metrics/server.ts';
import { integerArgument, portArgument } from './options.ts';

/** `stocksync reconcile [--source NAME...] [--repair]`: sources against the canonical store, channels against their rules. */
export function register(program: Command): void {
  program
    .command('reconcile')
    .description(
      'compare every mapped source (read directly) with the canonical store, and the channel tables with the channel rules; --repair asks Debezium to snapshot the drifted rows again (docs/reconciliation.md)',
    )
    .option('--source <names...>', 'only these sources (mapping `source` names); then no channels unless --channels')
    .option('--channels', 'also reconcile the channel tables (the default when no --source is given)')
    .option('--no-channels', 'do not reconcile the channel tables')
    .option('--sources-dir <dir>', 'folder of mapping files (default schemas/sources)')
    .option('--mappings <files...>', 'mapping files to reconcile instead of a folder (e.g. a variant the pipeline runs with --sources)')
    .option('--repair', 'repair each difference through the pipeline: an execute-snapshot signal for the rows behind it, or a channel republish')
    .option('--group <id>', "the pipeline's consumer group", PIPELINE_GROUP_ID)
    .option('--settle-timeout <seconds>', 'how long to wait for the pipeline to catch up to a source read', integerArgument(1), 120)
    .option('--repair-timeout <seconds>', 'how long to wait for repairs to show (0 = do not wait)', integerArgument(0), 180)
    .option('--metrics-port <port>', 'serve /metrics while it runs (0 = off)', portArgument, 0)
    .option('--json', 'print the report as one JSON object on the last line')
    .action(
      async (options: {
        source?: string[];
        channels?: boolean;
        sourcesDir?: string;
        mappings?: string[];
        repair?: boolean;
        group: string;
        settleTimeout: number;
        repairTimeout: number;
        metricsPort: number;
        json?: boolean;
      }) => {
        const mappings = options.mappings
          ? options.mappings.map((file) => loadMapping(path.resolve(file)))
          : options.sourcesDir
            ? loadMappings(path.resolve(options.sourcesDir))
            : undefined;
        const server = options.metricsPort > 0 ? await serveMetrics(options.metricsPort, '--metrics-port', () => ({ ready: true, reasons: [] })) : null;
        try {
          const report = await reconcile({
            sources: options.source,
            mappings,
            // commander sets `channels` to true by default because of --no-channels: only an explicit choice counts.
            channels: process.argv.includes('--no-channels') ? false : process.argv.includes('--channels') ? true : undefined,
            repair: options.repair ?? false,
            groupId: options.group,
            settleTimeoutMs: options.settleTimeout * 1000,
            repairTimeoutMs: options.repairTimeout * 1000,
            log: (line) => console.error(`reconcile: ${line}`),
          });
          for (const line of formatReport(report)) console.log(line);
          if (options.json) console.log(JSON.stringify(report, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
          // Differences left unrepaired fail the command (a cron job or CronJob then reports them).
          if (report.differences > report.repaired) process.exitCode = 1;
        } finally {
          server?.close();
        }
      },
    );
}
