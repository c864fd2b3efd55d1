/**
 * Issue 4 item 2 with the pipeline on the real stack: a TRUNCATE of the warehouse's stock_quant is
 * captured (op t). Under the default policy it is quarantined and changes nothing; once the mapping
 * says `on_truncate: delete-rows`, replaying the dead letter empties that stock — and the canonical
 * table again equals the oracle over the sources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { checkAgainstOracle } from '../../dev/demo/oracle-check.ts';
import { readDeadLetters } from '../../src/dead-letter/read.ts';
import { replayDeadLetters } from '../../src/dead-letter/replay.ts';
import { selectDeadLetters } from '../../src/dead-letter/select.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { loadMappings, type SourceMapping } from '../../src/normalize/mapping.ts';
import type { RunningPipeline } from '../../src/processor/processor.ts';
import { canonicalQuery, eventually, freshEnvironment, quietPipeline, waitForLagZero } from '../helpers/environment.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';

const endpoints = stackEndpoints();
let pipeline: RunningPipeline;

/** The shipped mappings, with a truncate policy on the warehouse's stock_quant. */
function withTruncatePolicy(policy: 'delete-rows'): SourceMapping[] {
  return loadMappings().map((m) =>
    m.source === 'warehouse' ? { ...m, tables: { ...m.tables, stock_quant: { ...m.tables.stock_quant!, on_truncate: policy } } } : m,
  );
}

const warehouseStock = async () =>
  Number((await canonicalQuery<{ total: string }>(`SELECT COALESCE(sum(on_hand), 0)::text AS total FROM stock_level WHERE source = 'warehouse'`))[0]!.total);

beforeAll(async () => {
  await freshEnvironment();
  pipeline = await quietPipeline();
  await waitForLagZero();
}, 300_000);

afterAll(async () => {
  await pipeline?.stop();
});

describe('TRUNCATE of a stock table', () => {
  it('is quarantined under the default policy, then applied by replay once the policy is delete-rows', async () => {
    const before = await warehouseStock();
    expect(before).toBeGreaterThan(0);
    const wms = new pg.Client(sampleWriter('warehouse', endpoints.warehouse));
    await wms.connect();
    await wms.query('TRUNCATE stock_quant');
    await wms.end();

    const kafka = createKafkaClient(endpoints.kafkaBrokers);
    try {
      const letters = await eventually(
        async () => selectDeadLetters(await readDeadLetters(kafka, { timeoutMs: 3000 }), { reason: ['truncate'], table: ['stock_quant'] }),
        (found) => found.length === 1,
      );
      expect(letters[0]!.source).toBe('warehouse');
      expect(letters[0]!.topic).toBe('wms.public.stock_quant');
      await waitForLagZero();
      expect(await warehouseStock()).toBe(before);

      await pipeline.stop();
      pipeline = await quietPipeline({ mappings: withTruncatePolicy('delete-rows') });
      await replayDeadLetters(kafka, letters);
      await eventually(warehouseStock, (total) => total === 0);
    } finally {
      await kafka.close();
    }
    await waitForLagZero();
    expect((await checkAgainstOracle()).mismatches).toEqual([]);
  });
});
