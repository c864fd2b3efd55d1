/** Normalize: what a mapping cannot handle is refused with a reason naming the field. */
import { describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/normalize/mapping.ts';
import { normalizeChange, NormalizeError, topicRoles, type LevelChange } from '../../src/normalize/normalize.ts';
import type { DebeziumEnvelope, Row } from '../../src/decode/index.ts';

const roles = topicRoles(loadMappings());
const quant = roles.get('wms.public.stock_quant')!;
const stockcurrent = roles.get('pos.pos.stockcurrent')!;

function envelope(after: Row, op: DebeziumEnvelope['op'] = 'u'): DebeziumEnvelope {
  return {
    op,
    before: null,
    after,
    ts_ms: 1_795_000_000_000,
    source: { connector: 'postgresql', name: 'wms', db: 'wms', table: 'stock_quant', ts_ms: 1_795_000_000_000, snapshot: 'false', lsn: 4096n, txId: 7 },
  } as DebeziumEnvelope;
}

function refusal(run: () => unknown): NormalizeError {
  try {
    run();
  } catch (error) {
    if (error instanceof NormalizeError) return error;
    throw error;
  }
  throw new Error('expected a NormalizeError');
}

describe('normalize', () => {
  it('turns a quant into an exact level change with its position and transaction', () => {
    const change = normalizeChange(
      quant,
      { id: 5 },
      envelope({ id: 5, product_id: 12, location_id: 10, quantity: '12.500', reserved_quantity: '0.250' }),
    ) as LevelChange;
    expect(change).toMatchObject({
      kind: 'level',
      role: 'level',
      rowKey: '[5]',
      productRef: '12',
      locationRef: '10',
      onHand: '12.5',
      reserved: '0.25',
      deleted: false,
      txId: '7',
    });
    expect(change.position.text).toBe('lsn:0/1000');
  });

  it('quarantines a null quantity, never reading it as 0', () => {
    const error = refusal(() =>
      normalizeChange(quant, { id: 5 }, envelope({ id: 5, product_id: 12, location_id: 10, quantity: null, reserved_quantity: '0' })),
    );
    expect(error.reason).toBe('null-quantity');
    expect(error.field).toBe('quantity');
  });

  it('quarantines a quantity of the wrong type', () => {
    const error = refusal(() =>
      normalizeChange(quant, { id: 5 }, envelope({ id: 5, product_id: 12, location_id: 10, quantity: Buffer.from([1, 2]), reserved_quantity: '0' })),
    );
    expect(error.reason).toBe('bad-quantity');
    expect(error.field).toBe('quantity');
    expect(error.message).toContain('raw bytes');
  });

  it('rounds a DOUBLE by the mapping rule', () => {
    const pos = {
      ...envelope({ location: '0', product: 'p1', attributesetinstance_id: null, units: 2.9999999 }),
      source: { connector: 'mariadb', name: 'pos', db: 'pos', table: 'stockcurrent', ts_ms: 0, snapshot: 'false', file: 'binlog.000002', pos: 4711, row: 0 },
    } as DebeziumEnvelope;
    const change = normalizeChange(stockcurrent, null, pos) as LevelChange;
    expect(change.onHand).toBe('3');
    expect(change.rowKey).toBe('["0","p1",null]');
  });

  it('quarantines a truncate under the default policy', () => {
    const truncate = { ...envelope({}, 't'), after: null } as DebeziumEnvelope;
    expect(refusal(() => normalizeChange(quant, null, truncate)).reason).toBe('truncate');
  });
});
