import type { Command } from 'commander';
import { formatSummary, runDemo } from '../demo/demo.ts';

/** `stocksync demo`. */
export function register(program: Command): void {
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
      if (summary.oracleMismatches > 0 || summary.channelMismatches > 0) process.exitCode = 1;
    });
}
