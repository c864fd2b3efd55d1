/**
 * The `stocksync` command line. Each subcommand lives in its own module; this file only wires
 * arguments to them.
 */
import { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from './stack/stack.ts';
import { applyConnector, connectorFiles, loadConnector } from './connectors/apply.ts';

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

await program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`stocksync: ${error.message}`);
  process.exit(1);
});
// Open clients (Kafka, database pools) must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
