/**
 * The `stocksync` command line. Each group of subcommands lives in its own module under `cli/`;
 * this file only registers them.
 */
import { Command } from 'commander';
import { register as registerStack } from './cli/stack.ts';
import { register as registerConnectors } from './cli/connectors.ts';
import { register as registerRun } from './cli/run.ts';
import { register as registerDemo } from './cli/demo.ts';
import { register as registerSample } from './cli/sample.ts';
import { register as registerChannels } from './cli/channels.ts';
import { register as registerSources } from './cli/sources.ts';
import { register as registerDecode } from './cli/decode.ts';
import { register as registerDlq } from './cli/dlq.ts';

const program = new Command();
program.name('stocksync').description('Change-data-capture pipeline that keeps retail stock in sync across channels');
for (const register of [registerStack, registerConnectors, registerRun, registerDemo, registerSample, registerSources, registerChannels, registerDecode, registerDlq]) register(program);

await program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`stocksync: ${error.message}`);
  process.exit(1);
});
// Open clients (Kafka, database pools) must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
