import type { Command } from 'commander';
import { formatPoisonReport } from '../poison/report.ts';
import { FULL_POISON, runPoison, SHORT_POISON } from '../poison/poison.ts';

/** `stocksync poison`: the poison corpus on the local stack (see pipeline/dev/poison/). */
export function register(program: Command): void {
  program
    .command('poison')
    .description(
      'produce malformed records of every kind into the real source topics while valid traffic flows; check that each is dead-lettered with its reason and nothing stalls, crashes or drifts',
    )
    .option('--records <n>', `poison records in all (default ${FULL_POISON.records}, --short ${SHORT_POISON.records})`)
    .option('--short', `the CI size: ${SHORT_POISON.records} records, ${SHORT_POISON.products} products, same code path`)
    .option('--rate <n>', `valid source changes per second meanwhile (default ${FULL_POISON.rate})`)
    .option('--json', 'also print the whole report as one JSON object on the last line of standard output')
    .action(async (options: { records?: string; short?: boolean; rate?: string; json?: boolean }) => {
      const base = options.short ? SHORT_POISON : FULL_POISON;
      const positive = (value: string | undefined, fallback: number, flag: string): number => {
        const n = Number(value ?? fallback);
        if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${value}`);
        return n;
      };
      const report = await runPoison({
        ...base,
        records: positive(options.records, base.records, '--records'),
        rate: positive(options.rate, base.rate, '--rate'),
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      console.log(`\n${formatPoisonReport(report)}`);
      if (options.json) console.log(JSON.stringify(report));
      if (!report.passed) process.exitCode = 1;
    });
}
