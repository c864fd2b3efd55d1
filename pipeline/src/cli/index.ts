/**
 * The `stocksync` command line. Each group of subcommands lives in its own module under `cli/`;
 * this file only lists them and runs a program. The development harness (`pipeline/dev/cli/`)
 * adds its own commands (stack, sample, demo); `pipeline/bin/stocksync.js` puts the two together.
 */
import { Command } from 'commander';
import { register as registerApi } from './api.ts';
import { register as registerChannels } from './channels.ts';
import { register as registerConnectors } from './connectors.ts';
import { register as registerDecode } from './decode.ts';
import { register as registerDlq } from './dlq.ts';
import { register as registerRun } from './run.ts';
import { register as registerReconcile } from './reconcile.ts';
import { register as registerAlerts } from './alerts.ts';
import { register as registerSources } from './sources.ts';

/** Adds one group of subcommands to the program. */
export type RegisterCommands = (program: Command) => void;

/** The product's command groups. */
export const productCommands: RegisterCommands[] = [
  registerConnectors,
  registerRun,
  registerSources,
  registerChannels,
  registerDecode,
  registerDlq,
  registerApi,
  registerReconcile,
  registerAlerts,
];

/**
 * Parses `argv` with the given command groups and exits: 1 with `stocksync: <message>` on an
 * error, else the command's exit code (open clients must not keep a finished command alive).
 */
export async function runCli(groups: RegisterCommands[], argv: string[] = process.argv): Promise<never> {
  const program = new Command();
  program.name('stocksync').description('Change-data-capture pipeline that keeps retail stock in sync across channels');
  for (const register of groups) register(program);
  await program.parseAsync(argv).catch((error: Error) => {
    console.error(`stocksync: ${error.message}`);
    process.exit(1);
  });
  process.exit(process.exitCode ?? 0);
}
