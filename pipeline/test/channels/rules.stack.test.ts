/**
 * The SQL oracle agreeing with the channel rules on random canonical rows, in a temporary
 * stock_level table in the canonical Postgres, so nothing shared is touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { prepareCanonicalStore } from '../../src/merge/index.ts';
import type { ChannelRule } from '../../src/channels/config.ts';
import { availableToSell, type CanonicalRow } from '../../src/channels/rules.ts';
import { expectedChannelRows } from '../../src/channels/oracle.ts';
import { rule } from './test-rule.ts';

describe('the SQL oracle agrees with the rules on random rows', () => {
  let client: pg.Client;
  beforeAll(async () => {
    await prepareCanonicalStore(stackEndpoints());
    client = new pg.Client(stackEndpoints().canonical);
    await client.connect();
    // Shadows the real table for this session only.
    await client.query(`CREATE TEMP TABLE stock_level (sku text, location text, on_hand numeric, reserved numeric, safety_stock numeric, version bigint)`);
  });
  afterAll(async () => {
    await client?.end();
  });

  it('on 400 SKUs x 5 locations with fractions, negatives, source safety stock and every rule shape', async () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const dec = (max: number, negative = false) => {
      const v = (rand() * max * (negative && rand() < 0.1 ? -1 : 1)).toFixed(rand() < 0.5 ? 0 : 3);
      return v === '-0' || v === '-0.000' ? '0' : v;
    };
    const locations = ['STORE-01', 'STORE-02', 'STORE-03', 'WH1/Stock', 'WH2/Stock'];
    const rows: CanonicalRow[] = [];
    for (let i = 0; i < 400; i++) {
      for (const location of locations) {
        if (rand() < 0.2) continue;
        const onHand = dec(60, true);
        rows.push({
          sku: `SKU-${i}`,
          location,
          onHand,
          reserved: rand() < 0.3 ? dec(20) : '0',
          safetyStock: rand() < 0.3 ? dec(5) : null,
          version: 1 + Math.floor(rand() * 50),
        });
      }
    }
    await client.query('INSERT INTO stock_level SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::bigint[])', [
      rows.map((r) => r.sku),
      rows.map((r) => r.location),
      rows.map((r) => r.onHand),
      rows.map((r) => r.reserved),
      rows.map((r) => r.safetyStock),
      rows.map((r) => r.version),
    ]);
    const shapes: ChannelRule[] = [
      rule(),
      rule({ locations: ['STORE-*'], safetyStock: { fromSource: false, byLocation: { 'STORE-02': '2.5' }, default: '1' }, buffer: { units: '1.5' } }),
      rule({
        locations: ['WH*/Stock'],
        safetyStock: { fromSource: true, byLocation: { 'WH2/Stock': '3' }, default: '2' },
        buffer: { percent: '10' },
        cap: '40',
      }),
      rule({ locations: ['STORE-0_', 'WH1/Stock'], buffer: { percent: '33.3' }, cap: '7.9' }),
    ];
    for (const shape of shapes) {
      const expected = await expectedChannelRows(client, shape);
      const skus = [...new Set(rows.map((r) => r.sku))];
      const computed = new Map<string, { quantity: number; version: number }>();
      for (const sku of skus) {
        const a = availableToSell(
          shape,
          sku,
          rows.filter((r) => r.sku === sku),
        );
        if (a) computed.set(sku, { quantity: a.quantity, version: a.version });
      }
      expect(computed.size).toBeGreaterThan(0);
      expect(computed).toEqual(expected);
    }
  });
});
