import type { Command } from 'commander';
import { applyConnector, connectorFiles, loadConnector } from '../connectors/apply.ts';

/** `stocksync connectors apply`. */
export function register(program: Command): void {
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
}
