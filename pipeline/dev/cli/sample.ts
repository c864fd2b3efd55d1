import type { Command } from 'commander';
import { seedSources } from '../demo/environment.ts';
import { posWorkload } from '../sample/pos/workload.ts';
import { runWorkload } from '../sample/shared/workload.ts';
import { warehouseWorkload } from '../sample/warehouse/workload.ts';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { sampleWriters } from '../stack/accounts.ts';

/** `stocksync sample seed | workload`. */
export function register(program: Command): void {
  const sample = program.command('sample').description('the sample source databases: POS (uniCenta-shaped), warehouse (Odoo-shaped), ERPNext');

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
      const endpoints = sampleWriters(stackEndpoints());
      const mysql = (await import('mysql2/promise')).default;
      const pg = (await import('pg')).default;
      const pos = await mysql.createConnection(connectionOptions(endpoints.pos));
      const warehouse = new pg.Client(endpoints.warehouse);
      await warehouse.connect();
      try {
        const result = await runWorkload([posWorkload(pos), warehouseWorkload(warehouse)], {
          seed: Number(options.seed),
          products: Number(options.products),
          rate: Number(options.rate),
          durationMs: Number(options.seconds) * 1000,
          keepOperations: false,
        });
        console.log(JSON.stringify({ committed: result.committed, achievedRate: result.achievedRate, counts: result.counts }));
      } finally {
        await pos.end();
        await warehouse.end();
      }
    });
}
