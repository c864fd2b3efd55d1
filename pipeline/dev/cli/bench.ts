import path from 'node:path';
import type { Command } from 'commander';
import { BENCH_PARTS, FULL_SIZES, SHORT_SIZES, runBench, selectParts } from '../bench/bench.ts';
import { formatLatencyTable } from '../bench/latency-table.ts';
import { formatPart } from '../bench/report.ts';

/** `stocksync bench [part...]`: throughput, latency, snapshot on the local stack (see pipeline/dev/bench/). */
export function register(program: Command): void {
  program
    .command('bench')
    .description(`measure the pipeline on the local stack; parts: ${BENCH_PARTS.join(', ')} (default: all)`)
    .argument('[parts...]', 'parts to run, in their fixed order')
    .option(
      '--short',
      `small sizes for CI (products ${SHORT_SIZES.products}, rows ${SHORT_SIZES.rows}, latency at 200 and 500 changes/s for 10 s), same code path`,
    )
    .option('--products <n>', `throughput: sample products (default ${FULL_SIZES.products}, --short ${SHORT_SIZES.products})`)
    .option('--rows <n>', `snapshot: source stock rows (default ${FULL_SIZES.rows}, --short ${SHORT_SIZES.rows})`)
    .option('--seed <n>', 'sample seed', '42')
    .option('--sse-clients <n>', 'api: Server-Sent Events clients connected during the commit → SSE run (default 1000, --short 100)')
    .option('--profile <dir>', "write a V8 CPU profile of the throughput part's pipeline process into <dir> and list its top self-time functions")
    .option('--json', 'also print the whole report as one JSON object on the last line of standard output')
    .action(
      async (
        names: string[],
        options: { short?: boolean; products?: string; rows?: string; seed: string; sseClients?: string; profile?: string; json?: boolean },
      ) => {
        const sizes = options.short ? SHORT_SIZES : FULL_SIZES;
        const positive = (value: string | undefined, fallback: number, flag: string): number => {
          const n = Number(value ?? fallback);
          if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${value}`);
          return n;
        };
        const report = await runBench(
          {
            parts: selectParts(names),
            products: positive(options.products, sizes.products, '--products'),
            rows: positive(options.rows, sizes.rows, '--rows'),
            seed: positive(options.seed, 42, '--seed'),
            profileDir: options.profile ? path.resolve(options.profile) : undefined,
            short: options.short,
            sseClients: options.sseClients === undefined ? undefined : positive(options.sseClients, 1000, '--sse-clients'),
            progress: (line) => process.stderr.write(`${line}\n`),
          },
          (part) => console.log(`\n${part.part === 'latency' ? formatLatencyTable(part) : formatPart(part)}`),
        );
        console.log(`\nbench ${report.passed ? 'PASS' : 'FAIL'}`);
        if (options.json) console.log(JSON.stringify(report));
        if (!report.passed) process.exitCode = 1;
      },
    );
}
