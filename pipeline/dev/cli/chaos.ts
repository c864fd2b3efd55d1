import type { Command } from 'commander';
import { FAULTS, selectFaults } from '../chaos/faults.ts';
import { formatChaosReport } from '../chaos/report.ts';
import { CHAOS_SHARES, DEFAULT_LOAD_CONNECTIONS, DEFAULT_RATE, runChaos } from '../chaos/runner.ts';
import { parseShares } from './load.ts';

/** Parses a positive number option. @throws Error naming the option. */
function positive(value: string, option: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`${option}: expected a positive number, got "${value}"`);
  return n;
}

/** Parses a positive integer option. @throws Error naming the option. */
function positiveInteger(value: string, option: string): number {
  const n = positive(value, option);
  if (!Number.isInteger(n)) throw new Error(`${option}: expected a positive integer, got "${value}"`);
  return n;
}

/** `stocksync chaos [fault...]`: the fault matrix under load on the local stack (see pipeline/dev/chaos/). */
export function register(program: Command): void {
  program
    .command('chaos')
    .description(
      `kill -9 / pause every part in turn under load, restart it as a supervisor would, and check nothing is lost; faults: ${FAULTS.map((f) => f.name).join(', ')} (default: all)`,
    )
    .argument('[faults...]', 'faults to run, in catalogue order')
    .option(
      '--short',
      `three faults (${selectFaults([], true)
        .map((f) => f.name)
        .join(', ')}) and 10 s of load each`,
    )
    .option('--rate <n>', 'target source changes per second of the load generator', String(DEFAULT_RATE))
    .option('--load-workers <n>', 'load generator worker processes', '2')
    .option('--load-connections <n>', 'load generator connections per source in each worker', String(DEFAULT_LOAD_CONNECTIONS))
    .option(
      '--shares <list>',
      `share of the load operations per source (default ${Object.entries(CHAOS_SHARES)
        .map(([source, share]) => `${source}=${share}`)
        .join(',')})`,
    )
    .option('--seconds <n>', 'seconds of load per fault (default 20, --short 10)')
    .option('--pause-seconds <n>', 'how long a paused process stays stopped (above the session timeouts: 20 s consumers, 10 s Connect)', '30')
    .option('--recovery-timeout <n>', 'seconds a fault may take to be caught up before its row fails', '300')
    .option('--products <n>', 'sample products', '1000')
    .option('--seed <n>', 'sample seed', '42')
    .option('--json', 'also print the whole report as one JSON object on the last line of standard output')
    .action(
      async (
        names: string[],
        options: {
          short?: boolean;
          rate: string;
          loadWorkers: string;
          loadConnections: string;
          shares?: string;
          seconds?: string;
          pauseSeconds: string;
          recoveryTimeout: string;
          products: string;
          seed: string;
          json?: boolean;
        },
      ) => {
        const report = await runChaos({
          faults: selectFaults(names, options.short),
          rate: positive(options.rate, '--rate'),
          loadWorkers: positiveInteger(options.loadWorkers, '--load-workers'),
          loadConnections: positiveInteger(options.loadConnections, '--load-connections'),
          shares: options.shares ? parseShares(options.shares) : undefined,
          loadSeconds: positive(options.seconds ?? (options.short ? '10' : '20'), '--seconds'),
          pauseSeconds: positive(options.pauseSeconds, '--pause-seconds'),
          recoveryTimeoutSeconds: positive(options.recoveryTimeout, '--recovery-timeout'),
          products: positive(options.products, '--products'),
          seed: positive(options.seed, '--seed'),
          progress: (line) => process.stderr.write(`${line}\n`),
        });
        console.log(formatChaosReport(report));
        if (options.json) console.log(JSON.stringify(report));
        if (!report.passed) process.exitCode = 1;
      },
    );
}
