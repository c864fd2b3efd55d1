/**
 * Golden tests: real records captured from the local stack (pipeline/test/fixtures/capture.ts)
 * decode to exact values. POS records are Avro in Confluent wire format (writer schemas from the
 * stored registry-schemas.json); warehouse records are JSON with schemas.
 */
import { describe, expect, it } from 'vitest';
import { columnTypes, createDecoder, LocalDateTime, staticSchemaLookup, type DecodedRecord } from '../../src/decode/index.ts';
import { readRecordFixture, readRegistrySchemas, toKafkaRecord } from '../fixtures/record-fixture.ts';

const avro = createDecoder({ format: 'avro', registry: staticSchemaLookup(readRegistrySchemas()) });
const json = createDecoder({ format: 'json' });

async function decodeFixture(name: string): Promise<DecodedRecord> {
  const fixture = readRecordFixture(name);
  return (fixture.topic.startsWith('wms') || fixture.topic.endsWith('.wms') ? json : avro).decode(toKafkaRecord(fixture));
}

async function change(name: string) {
  const decoded = await decodeFixture(name);
  if (decoded.kind !== 'change') throw new Error(`${name} decoded as ${decoded.kind}`);
  return decoded;
}

const POS_KEY = { location: 'FIX-LOC-mx1lps30-2ysk', product: 'FIX-PRD-mx1lps30-fqcz', attributesetinstance_id: null };

/** The MariaDB source block fields common to the streamed POS fixtures. */
const POS_STREAM_SOURCE = {
  version: '3.5.0.Final',
  connector: 'mariadb',
  name: 'pos',
  ts_ms: 1795942368000,
  snapshot: 'false',
  db: 'pos',
  sequence: null,
  ts_us: 1795942368000000,
  ts_ns: 1795942368000000000n,
  table: 'stockcurrent',
  server_id: 1,
  file: 'binlog.000001',
  row: 0,
  thread: null,
  query: null,
};

describe('POS stockcurrent (MariaDB, Avro via the registry)', () => {
  it('snapshot read: op r, snapshot marker as a string, binlog position of the snapshot', async () => {
    const { key, envelope } = await change('pos-stockcurrent-snapshot');
    const row = { location: 'SNAP-LOC-mx1lpj8a-k7wx', product: 'SNAP-PRD-mx1lpj8a-abws', attributesetinstance_id: null, units: 3.25 };
    expect(key).toEqual({ location: row.location, product: row.product, attributesetinstance_id: null });
    expect(envelope.op).toBe('r');
    expect(envelope.before).toBeNull();
    expect(envelope.after).toEqual(row);
    expect(envelope.source).toEqual({
      ...POS_STREAM_SOURCE,
      ts_ms: 1795942358000,
      ts_us: 1795942358000000,
      ts_ns: 1795942358000000000n,
      snapshot: 'last',
      server_id: 0,
      gtid: null,
      pos: 5197,
    });
    expect(envelope.ts_ms).toBe(1795942358681);
    expect(envelope.ts_ns).toBe(1795942358681740972n);
    expect(envelope.transaction).toBeNull();
  });

  it('streamed insert: op c, units 7.5, binlog file/pos/row and GTID', async () => {
    const fixture = readRecordFixture('pos-stockcurrent-insert');
    const { key, envelope } = await change('pos-stockcurrent-insert');
    expect(key).toEqual(POS_KEY);
    expect(envelope).toMatchObject({ op: 'c', before: null, ts_ms: 1795942368119 });
    expect(envelope.after).toEqual({ ...POS_KEY, units: 7.5 });
    expect(envelope.after!.location).toBe(fixture.written!.location);
    expect(envelope.source).toEqual({ ...POS_STREAM_SOURCE, gtid: '0-1-11', pos: 7491 });
    expect(typeof envelope.source.pos).toBe('number');
    // Beyond 2^53: exact only as a bigint.
    expect(envelope.ts_ns).toBe(1795942368119365374n);
    expect(envelope.ts_us).toBe(1795942368119365);
  });

  it('streamed update: before 7.5, after -2.25', async () => {
    const { key, envelope } = await change('pos-stockcurrent-update');
    expect(key).toEqual(POS_KEY);
    expect(envelope.op).toBe('u');
    expect(envelope.before).toEqual({ ...POS_KEY, units: 7.5 });
    expect(envelope.after).toEqual({ ...POS_KEY, units: -2.25 });
    expect(envelope.source).toEqual({ ...POS_STREAM_SOURCE, gtid: '0-1-12', pos: 7910 });
  });

  it('streamed delete: the whole old row in before, after null', async () => {
    const { key, envelope } = await change('pos-stockcurrent-delete');
    expect(key).toEqual(POS_KEY);
    expect(envelope.op).toBe('d');
    expect(envelope.before).toEqual({ ...POS_KEY, units: -2.25 });
    expect(envelope.after).toBeNull();
    expect(envelope.source).toEqual({ ...POS_STREAM_SOURCE, gtid: '0-1-13', pos: 8372 });
    expect(envelope.ts_ms).toBe(1795942368121);
  });

  it('tombstone after the delete: kind tombstone with the decoded Avro key', async () => {
    expect(await decodeFixture('pos-stockcurrent-tombstone')).toEqual({ kind: 'tombstone', key: POS_KEY });
  });

  it('column types come from the writer schema', async () => {
    const { envelope } = await change('pos-stockcurrent-insert');
    expect(envelope.schema?.name).toBe('pos.pos.stockcurrent.Envelope');
    expect(columnTypes(envelope)).toEqual({
      location: { type: 'string', optional: false },
      product: { type: 'string', optional: false },
      attributesetinstance_id: { type: 'string', optional: true },
      units: { type: 'float64', optional: false },
    });
  });

  it('heartbeat (Avro, io.debezium.connector.common.Heartbeat): source time in ms', async () => {
    expect(await decodeFixture('pos-heartbeat')).toEqual({ kind: 'heartbeat', sourceTsMs: 1795942358687 });
  });

  it('schema-change event on topic `pos` (a record name shared with the table schemas decodes too)', async () => {
    expect(await decodeFixture('pos-schema-change')).toEqual({ kind: 'schema-change' });
  });

  it('one decoder, every POS schema, first use concurrent: each schema id looked up once', async () => {
    const schemas = readRegistrySchemas();
    const lookups: number[] = [];
    const decoder = createDecoder({
      format: 'avro',
      registry: async (id) => {
        lookups.push(id);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return schemas[id] ?? null;
      },
    });
    const cases = [
      ['pos-stockcurrent-insert', 'change'],
      ['pos-heartbeat', 'heartbeat'],
      ['pos-schema-change', 'schema-change'],
      ['pos-stockcurrent-tombstone', 'tombstone'],
    ] as const;
    const copies = cases.flatMap(([name, kind]) => Array.from({ length: 5 }, () => ({ record: toKafkaRecord(readRecordFixture(name)), kind })));
    const decoded = await Promise.all(copies.map(({ record }) => decoder.decode(record)));
    expect(decoded.map((d) => d.kind)).toEqual(copies.map(({ kind }) => kind));
    // keys of the tombstone share the stockcurrent key id; heartbeat/schema-change keys are not decoded
    expect(lookups.sort((a, b) => a - b)).toEqual([2, 7, 8, 14]);
  });
});

/** The PostgreSQL source block fields common to the streamed warehouse fixtures. */
const WMS_SOURCE = {
  version: '3.5.0.Final',
  connector: 'postgresql',
  name: 'wms',
  snapshot: 'false',
  db: 'wms',
  schema: 'public',
  table: 'stock_quant',
  xmin: null,
  origin: null,
  origin_lsn: null,
};

/**
 * The stock_quant row of the streamed fixtures, without its quantities. `in_date`/`write_date` are
 * TIMESTAMP WITHOUT TIME ZONE (MicroTimestamp): wall times 2026-01-02T03:04:05 and …05.123456.
 */
const QUANT = {
  id: 3,
  product_id: 3,
  location_id: 3,
  lot_id: null,
  in_date: new LocalDateTime(1767323045000000000n),
  write_date: new LocalDateTime(1767323045123456000n),
};

describe('warehouse stock_quant (PostgreSQL, JSON with schemas)', () => {
  it('snapshot read: op r, NUMERIC 2.125 as an exact string, LSN as bigint', async () => {
    const { key, envelope } = await change('wms-stock-quant-snapshot');
    expect(key).toEqual({ id: 1 });
    expect(envelope.op).toBe('r');
    expect(envelope.after).toEqual({ ...QUANT, id: 1, product_id: 1, location_id: 1, quantity: '2.125', reserved_quantity: '0' });
    expect(envelope.source).toEqual({
      ...WMS_SOURCE,
      snapshot: 'last',
      ts_ms: 1795942358770,
      ts_us: 1795942358770260,
      ts_ns: 1795942358770260000n,
      sequence: '[null,"27102472"]',
      txId: 746,
      lsn: 27102472n,
    });
  });

  it("streamed insert: quantity '12.345'", async () => {
    const fixture = readRecordFixture('wms-stock-quant-insert');
    const { key, envelope } = await change('wms-stock-quant-insert');
    expect(key).toEqual({ id: fixture.written!.quantId });
    expect(envelope.op).toBe('c');
    expect(envelope.before).toBeNull();
    expect(envelope.after).toEqual({ ...QUANT, quantity: '12.345', reserved_quantity: '0' });
    expect(envelope.after!.quantity).toBe(fixture.written!.quantity);
    expect(envelope.source).toEqual({
      ...WMS_SOURCE,
      ts_ms: 1795942368129,
      ts_us: 1795942368129447,
      ts_ns: 1795942368129447000n,
      sequence: '["27103416","27103840"]',
      txId: 749,
      lsn: 27103840n,
    });
    expect(envelope.ts_ms).toBe(1795942368625);
    expect(envelope.ts_ns).toBe(1795942368625428904n);
  });

  it("streamed update: '123456789012345678.123456789' and '-0.5' exactly, old row in before", async () => {
    const { envelope } = await change('wms-stock-quant-update');
    expect(envelope.op).toBe('u');
    expect(envelope.before).toEqual({ ...QUANT, quantity: '12.345', reserved_quantity: '0' });
    expect(envelope.after).toEqual({ ...QUANT, quantity: '123456789012345678.123456789', reserved_quantity: '-0.5' });
    expect(envelope.after!.quantity).toBe('123456789012345678.123456789');
    expect(envelope.source.lsn).toBe(27104224n);
    expect(typeof envelope.source.lsn).toBe('bigint');
    expect(envelope.source.txId).toBe(750);
    // JSON.parse would give 1795942368626691000: the lossless parse keeps every digit.
    expect(envelope.ts_ns).toBe(1795942368626691055n);
  });

  it('streamed delete (REPLICA IDENTITY FULL): whole old row in before', async () => {
    const { key, envelope } = await change('wms-stock-quant-delete');
    expect(key).toEqual({ id: 3 });
    expect(envelope.op).toBe('d');
    expect(envelope.before).toEqual({ ...QUANT, quantity: '123456789012345678.123456789', reserved_quantity: '-0.5' });
    expect(envelope.after).toBeNull();
    expect(envelope.source).toMatchObject({ txId: 751, lsn: 27104440n, sequence: '["27104440","27104440"]', snapshot: 'false' });
  });

  it('tombstone after the delete: kind tombstone with the decoded JSON key', async () => {
    expect(await decodeFixture('wms-stock-quant-tombstone')).toEqual({ kind: 'tombstone', key: { id: 3 } });
  });

  it('column types keep the semantic types for later stages (VariableScaleDecimal, MicroTimestamp)', async () => {
    const { envelope } = await change('wms-stock-quant-insert');
    expect(envelope.schema?.name).toBe('wms.public.stock_quant.Envelope');
    expect(columnTypes(envelope)).toEqual({
      // `id serial`: Debezium states default 0 for a column whose default is an expression (nextval).
      id: { type: 'int32', optional: false, default: 0 },
      product_id: { type: 'int32', optional: false },
      location_id: { type: 'int32', optional: false },
      lot_id: { type: 'int32', optional: true },
      quantity: { type: 'struct', logical: 'io.debezium.data.VariableScaleDecimal', optional: false },
      reserved_quantity: { type: 'struct', logical: 'io.debezium.data.VariableScaleDecimal', optional: false },
      in_date: { type: 'int64', logical: 'io.debezium.time.MicroTimestamp', optional: true },
      write_date: { type: 'int64', logical: 'io.debezium.time.MicroTimestamp', optional: true },
    });
  });

  it('heartbeat (JSON): source time in ms', async () => {
    expect(await decodeFixture('wms-heartbeat')).toEqual({ kind: 'heartbeat', sourceTsMs: 1795942358865 });
  });
});
