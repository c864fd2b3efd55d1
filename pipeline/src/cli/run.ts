import type { Command } from 'commander';
import { DEFAULT_PIPELINE_CONCURRENCY, startPipeline } from '../processor/processor.ts';
import { loadMapping } from '../normalize/index.ts';
import { serveMetrics } from '../metrics/server.ts';
import { PIPELINE_GROUP_ID } from '../config/names.ts';
import { stackEndpoints } from '../config/endpoints.ts';
import { explainConnectionFailure } from './endpoint-errors.ts';
import { Option } from 'commander';
import { integerArgument, metricsPortOption, portFrom } from './options.ts';
import { untilSignal } from './signals.ts';
import { formatReport, parseInterval, scheduleReconcile } from '../reconcile/index.ts';

/** `stocksync run`: the pipeline process. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run the pipeline (a member of the consumer group) until SIGINT/SIGTERM')
    .option('--group <id>', 'consumer group id', PIPELINE_GROUP_ID)
    .addOption(metricsPortOption('STOCKSYNC_METRICS_PORT', 9464))
    .option('--sources <files...>', 'mapping files to run (default: every *.yaml in schemas/sources)')
    .addOption(
      new Option('--concurrency <n>', 'partitions this instance decodes and merges at once (each merge holds one canonical store connection)')
        .argParser(integerArgument(1))
        .env('STOCKSYNC_PIPELINE_CONCURRENCY')
        .default(DEFAULT_PIPELINE_CONCURRENCY),
    )
    .option('--reconcile-every <interval>', 'also run `stocksync reconcile` on a schedule, e.g. 1h (docs/reconciliation.md)')
    .option('--reconcile-repair', 'repair what the scheduled reconciliation finds (with --reconcile-every)')
    .action(
      async (options: {
        group: string;
        metricsPort: number | string;
        sources?: string[];
        reconcileEvery?: string;
        reconcileRepair?: boolean;
        concurrency: number;
      }) => {
        const reconcileEveryMs = options.reconcileEvery === undefined ? undefined : parseInterval(options.reconcileEvery);
        const mappings = options.sources?.map((file) => loadMapping(file));
        let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;
        const server = await serveMetrics(portFrom(options.metricsPort, 'STOCKSYNC_METRICS_PORT'), '--metrics-port', () => pipeline?.readiness());
        const canonical = { component: 'canonical store', endpoint: { ...stackEndpoints().canonical, name: 'canonical' } };
        pipeline = await startPipeline({ groupId: options.group, mappings, concurrency: options.concurrency }).catch((error: unknown) => {
          // Until the processor names the canonical store itself: at start-up only it is reached through pg.
          server?.close();
          throw explainConnectionFailure(error, [canonical], canonical);
        });
        console.error(`stocksync run: consuming as a member of ${options.group}; SIGINT or SIGTERM stops it`);
        const scheduled =
          reconcileEveryMs === undefined
            ? undefined
            : scheduleReconcile(
                reconcileEveryMs,
                {
                  mappings,
                  groupId: options.group,
                  repair: options.reconcileRepair ?? false,
                  log: (line) => console.error(`stocksync run: reconcile: ${line}`),
                },
                (report) => {
                  for (const line of formatReport(report, 20)) console.error(`stocksync run: reconcile: ${line}`);
                },
                (error) => console.error(`stocksync run: reconcile failed (retried at the next interval): ${error.message}`),
              );
        if (scheduled) console.error(`stocksync run: reconciling every ${options.reconcileEvery}${options.reconcileRepair ? ', with repairs' : ''}`);
        await untilSignal();
        console.error('stocksync run: stopping (finishing the batch in hand)');
        await scheduled?.stop();
        server?.close();
        await pipeline.stop();
        console.error('stocksync run: stopped');
      },
    );
}
