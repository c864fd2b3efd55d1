import type { Command } from 'commander';
import { applyConnector, connectorFiles, loadConnector } from '../connectors/apply.ts';
import { connectorHealth, restartFailed } from '../connectors/health.ts';

/** `stocksync connectors apply | restart | status`. */
export function register(program: Command): void {
  const connectors = program.command('connectors').description('Debezium connector configs in connectors/debezium/');

  connectors
    .command('apply')
    .description('PUT each connector config to Kafka Connect and wait until it and its tasks are RUNNING (a FAILED task is restarted once, its trace printed)')
    .argument('[names...]', 'only these connectors (file names without .json)')
    .action(async (names: string[]) => {
      const files = connectorFiles().filter((f) => names.length === 0 || names.some((n) => f.endsWith(`/${n}.json`)));
      if (files.length === 0) throw new Error(`no connector file matches ${names.join(', ')}`);
      for (const file of files) {
        const connector = loadConnector(file);
        const t0 = Date.now();
        await applyConnector(connector, undefined, (line) => console.error(line));
        console.log(`${connector.name}: RUNNING (${Date.now() - t0} ms)`);
      }
    });

  connectors
    .command('restart')
    .description('restart the FAILED connectors and tasks (Kafka Connect never does) and wait until they run; exits 1 if one fails again')
    .argument('[names...]', 'only these connectors (connector names, e.g. stocksync-pos; default: all)')
    .action(async (names: string[]) => {
      const outcomes = await restartFailed(names);
      if (outcomes.length === 0) {
        console.log('nothing FAILED');
        return;
      }
      for (const o of outcomes) {
        console.log(`${o.name}: was ${o.before.summary}`);
        console.log(`${o.name}: ${o.recovered ? 'restarted, now' : 'NOT recovered:'} ${o.after.summary}`);
        if (!o.recovered) {
          const trace = o.after.trace ?? o.after.tasks.find((t) => t.trace)?.trace;
          if (trace) console.error(trace);
          process.exitCode = 1;
        }
      }
    });

  connectors
    .command('status')
    .description("each connector's and task's state as Kafka Connect reports it; exits 1 if one is FAILED")
    .argument('[names...]', 'only these connectors (default: every registered and every shipped one)')
    .option('--json', 'print as JSON')
    .action(async (names: string[], options: { json?: boolean }) => {
      const health = await connectorHealth(names);
      if (options.json) console.log(JSON.stringify(health));
      else for (const h of health) console.log(`${h.name}: ${h.summary}`);
      if (health.some((h) => h.failed)) process.exitCode = 1;
    });
}
