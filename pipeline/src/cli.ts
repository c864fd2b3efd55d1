/**
 * The `stocksync` command line. Each subcommand lives in its own module; this file only wires
 * arguments to them.
 */
import { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from './stack/stack.ts';
import { applyConnector, connectorFiles, loadConnector } from './connectors/apply.ts';
import { formatSummary, runDemo } from './demo/demo.ts';
import { startPipeline } from './pipeline/pipeline.ts';
import { seedSources } from './demo/environment.ts';
import { runWorkload } from './sample/workload.ts';
import { stackEndpoints } from './config.ts';
import { metricsRegistry } from './pipeline/metrics.ts';

const program = new Command();
program.name('stocksync').description('Change-data-capture pipeline that keeps retail stock in sync across channels');

const stack = program.command('stack').description('the no-Docker local stack: Kafka, Connect + Debezium, registry, source databases');

stack
  .command('up')
  .description('start every component that is not healthy yet (idempotent)')
  .action(async () => {
    const t0 = Date.now();
    await stackUp((line) => console.log(line));
    console.log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

stack
  .command('down')
  .description('stop the processes `stack up` started (by pid)')
  .option('--purge', 'also delete the data and generated configuration (keeps fetched jars)')
  .action(async (options: { purge?: boolean }) => {
    const stopped = await stackDown({ purge: options.purge });
    console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing to stop');
  });

stack
  .command('status')
  .description('components, ports, pids, memory and health')
  .option('--json', 'print as JSON')
  .action(async (options: { json?: boolean }) => {
    const status = await stackStatus();
    if (options.json) {
      console.log(JSON.stringify(status));
    } else {
      console.table(
        status.map((s) => ({
          component: s.component,
          owner: s.ownership,
          ports: s.ports.join(','),
          pid: s.pid ?? '',
          'rss MiB': s.rssMiB ?? '',
          health: s.healthy ? 'healthy' : `DOWN: ${s.problem}`,
        })),
      );
    }
    if (status.some((s) => !s.healthy)) process.exitCode = 1;
  });

program
  .command('connectors')
  .description('Debezium connector configs in connectors/debezium/')
  .command('apply')
  .description('PUT each connector config to Kafka Connect and wait until it and its tasks are RUNNING')
  .argument('[names...]', 'only these connectors (file names without .json)')
  .action(async (names: string[]) => {
    const files = connectorFiles().filter((f) => names.length === 0 || names.some((n) => f.endsWith(`/${n}.json`)));
    if (files.length === 0) throw new Error(`no connector file matches ${names.join(', ')}`);
    for (const file of files) {
      const connector = loadConnector(file);
      const t0 = Date.now();
      await applyConnector(connector);
      console.log(`${connector.name}: RUNNING (${Date.now() - t0} ms)`);
    }
  });

program
  .command('run')
  .description('run the pipeline (a member of the consumer group) until SIGINT/SIGTERM')
  .option('--group <id>', 'consumer group id', 'stocksync-pipeline')
  .option('--metrics-port <port>', 'serve Prometheus metrics on this port (0 = off)', '9464')
  .action(async (options: { group: string; metricsPort: string }) => {
    const pipeline = await startPipeline({ groupId: options.group });
    const port = Number(options.metricsPort);
    let server: import('node:http').Server | undefined;
    if (port > 0) {
      const http = await import('node:http');
      server = http.createServer(async (_req, res) => {
        res.setHeader('content-type', metricsRegistry.contentType);
        res.end(await metricsRegistry.metrics());
      });
      server.listen(port, '127.0.0.1');
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    server?.close();
    await pipeline.stop();
  });

program
  .command('demo')
  .description('stack up, seed, connectors, snapshot, live workload, drain, summary (oracle mismatches, latency)')
  .option('--seed <n>', 'sample seed', '42')
  .option('--products <n>', 'number of products', '2000')
  .option('--rate <n>', 'live workload, operations per second', '20')
  .option('--seconds <n>', 'live workload duration', '30')
  .option('--json', 'print the summary as one JSON object on the last line of standard output')
  .action(async (options: { seed: string; products: string; rate: string; seconds: string; json?: boolean }) => {
    const progress = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);
    const summary = await runDemo({
      seed: Number(options.seed),
      products: Number(options.products),
      rate: Number(options.rate),
      durationMs: Number(options.seconds) * 1000,
      progress,
    });
    if (options.json) {
      console.log(JSON.stringify(summary));
    } else {
      console.log(formatSummary(summary));
    }
    if (summary.oracleMismatches > 0) process.exitCode = 1;
  });

const sample = program.command('sample').description('the sample POS (uniCenta-shaped) and warehouse (Odoo-shaped) source databases');

sample
  .command('seed')
  .description('create the sample tables and fill them deterministically (replaces their rows: do this before the connectors snapshot)')
  .option('--seed <n>', 'PRNG seed', '42')
  .option('--products <n>', 'number of products', '2000')
  .action(async (options: { seed: string; products: string }) => {
    const counts = await seedSources({ seed: Number(options.seed), products: Number(options.products) });
    console.log(JSON.stringify(counts));
  });

sample
  .command('workload')
  .description('run POS sales/refunds/breakage/receipts and warehouse receipts/reservations/lot merges/deliveries')
  .option('--seed <n>', 'the seed the sources were seeded with', '42')
  .option('--products <n>', 'the product count the sources were seeded with', '2000')
  .option('--rate <n>', 'operations per second, both sources together', '20')
  .option('--seconds <n>', 'duration', '30')
  .action(async (options: { seed: string; products: string; rate: string; seconds: string }) => {
    const endpoints = stackEndpoints();
    const mysql = (await import('mysql2/promise')).default;
    const pg = (await import('pg')).default;
    const pos = await mysql.createConnection(endpoints.pos);
    const warehouse = new pg.Client(endpoints.warehouse);
    await warehouse.connect();
    try {
      const result = await runWorkload(
        { pos, warehouse },
        { seed: Number(options.seed), products: Number(options.products), rate: Number(options.rate), durationMs: Number(options.seconds) * 1000, keepOperations: false },
      );
      console.log(JSON.stringify({ committed: result.committed, achievedRate: result.achievedRate, counts: result.counts }));
    } finally {
      await pos.end();
      await warehouse.end();
    }
  });

await program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`stocksync: ${error.message}`);
  process.exit(1);
});
// Open clients (Kafka, database pools) must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
