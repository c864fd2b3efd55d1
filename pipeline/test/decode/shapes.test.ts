/**
 * Golden tests: every event shape, from real captured records of both sources and both converters —
 * c/u/d/r/t/m, tombstones, updates without `before`, deletes whose `before` holds only the key,
 * unchanged-TOAST placeholders (strings, bytes, arrays, maps), keyless tables, truncate, heartbeats,
 * transaction metadata, schema-change events, and a table altered mid-stream.
 */
import { describe, expect, it } from 'vitest';
import { columnTypes, isUnchanged, resolveColumn, UNCHANGED, withDefaults, type DecodedRecord, type Row } from '../../src/decode/index.ts';
import { truncateAction } from '../../src/decode/index.ts';
import { confluentHeader } from '../../src/registry/registry.ts';
import { changesOf, decodedRecords, showRow, theChange } from './captured-records.ts';

const ALL = ['mariadb-avro', 'mariadb-json', 'postgres-avro', 'postgres-json'] as const;
const prefixOf = (id: string) => `fixtures_${id.replace(/-/g, '_')}`;

describe.each(ALL)('%s: row changes', (id) => {
  const pg = id.startsWith('postgres');

  it('insert, update and delete in one transaction; the delete is followed by a tombstone', async () => {
    const shapes = await changesOf(id, 'shapes');
    const ops = shapes.filter((c) => c.key?.id === 2).map((c) => c.envelope.op);
    expect(ops).toEqual(['c', 'u', 'd']);
    const [insert, update, del] = shapes.filter((c) => c.key?.id === 2).map((c) => c.envelope);
    // NUMERIC(12,3) / DECIMAL(12,3): both keep scale 3.
    expect(showRow(insert!.after)).toEqual({ id: 2, qty: '7.500', note: 'insert' });
    expect(insert!.before).toBeNull();
    expect(showRow(update!.after)).toEqual({ id: 2, qty: '-2.250', note: 'update' });
    expect(del!.after).toBeNull();
    if (pg) {
      // REPLICA IDENTITY DEFAULT: no old image on update; only the key on delete (other columns null).
      expect(update!.before).toBeNull();
      expect(showRow(del!.before)).toEqual({ id: 2, qty: '0.000', note: null });
    } else {
      // binlog_row_image=FULL: the whole old row.
      expect(showRow(update!.before)).toEqual({ id: 2, qty: '7.500', note: 'insert' });
      expect(showRow(del!.before)).toEqual({ id: 2, qty: '-2.250', note: 'update' });
    }
    const tombstones = (await decodedRecords(id)).filter(({ record, decoded }) => record.topic.endsWith('.shapes') && decoded.kind === 'tombstone');
    expect(tombstones.map((t) => t.decoded)).toEqual([{ kind: 'tombstone', key: { id: 2 } }]);
  });

  it('the transaction block orders the three events; BEGIN and END frame them on the transaction topic', async () => {
    const events = (await changesOf(id, 'shapes')).filter((c) => c.key?.id === 2).map((c) => c.envelope.transaction!);
    expect(events.map((t) => [t.total_order, t.data_collection_order])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    // MariaDB: the GTID. PostgreSQL: `<xid>:<lsn>`, where the LSN part is each record's own — the
    // transaction is the xid part.
    const txOf = (txId: string) => (pg ? txId.split(':')[0]! : txId);
    const tx = txOf(events[0]!.id);
    expect(events.map((t) => txOf(t.id))).toEqual([tx, tx, tx]);
    if (pg) expect(tx).toBe(String((await changesOf(id, 'shapes')).find((c) => c.key?.id === 2)!.envelope.source.txId));
    const markers = (await decodedRecords(id))
      .filter(({ record }) => record.topic === `${prefixOf(id)}.transaction`)
      .flatMap(({ decoded }) => (decoded.kind === 'transaction' && txOf(decoded.id) === tx ? [[decoded.status, decoded.eventCount]] : []));
    // (BEGIN and END are keyed by their id, so they may sit on different partitions.)
    expect(markers.sort()).toEqual([
      ['BEGIN', null],
      ['END', 3],
    ]);
    // Snapshot events carry no transaction.
    expect((await theChange(id, 'shapes', 'r', 1)).envelope.transaction).toBeNull();
  });

  it('a table without a primary key: null key, whole rows in the images', async () => {
    // Null keys may land on any partition: order the events by op (there is one of each).
    const rank = { r: 0, c: 1, u: 2, d: 3 } as Record<string, number>;
    const nokey = (await changesOf(id, 'nokey')).sort((a, b) => rank[a.envelope.op]! - rank[b.envelope.op]!);
    expect(nokey.map((c) => [c.envelope.op, c.key])).toEqual([
      ['r', null],
      ['c', null],
      ['u', null],
      ['d', null],
    ]);
    const q = pg ? (n: string) => n : (n: string) => `${n}.000`;
    expect(nokey.map((c) => [showRow(c.envelope.before), showRow(c.envelope.after)])).toEqual([
      [null, { sku: 'SKU-1', location: 'LOC-1', qty: q('4') }],
      [null, { sku: 'SKU-2', location: 'LOC-2', qty: q('5') }],
      [
        { sku: 'SKU-2', location: 'LOC-2', qty: q('5') },
        { sku: 'SKU-2', location: 'LOC-2', qty: q('6') },
      ],
      [{ sku: 'SKU-2', location: 'LOC-2', qty: q('6') }, null],
    ]);
    const tombstones = (await decodedRecords(id)).filter(({ record, decoded }) => record.topic.endsWith('.nokey') && decoded.kind === 'tombstone');
    expect(tombstones.map((t) => t.decoded)).toEqual([{ kind: 'tombstone', key: null }]);
  });

  it('TRUNCATE: op t, no key, no images, the table and a position in source; a policy decides', async () => {
    const truncates = (await changesOf(id, 'truncated')).filter((c) => c.envelope.op === 't');
    expect(truncates).toHaveLength(1);
    const { key, envelope } = truncates[0]!;
    expect(key).toBeNull();
    expect(envelope).toMatchObject({ before: null, after: null, op: 't' });
    expect(envelope.source.table).toBe('truncated');
    if (pg) expect(typeof envelope.source.lsn).toBe('bigint');
    else expect(envelope.source).toMatchObject({ file: expect.stringMatching(/\.\d+$/), pos: expect.any(Number) });
    // The rows of the snapshot before it, and a row inserted after it.
    expect((await changesOf(id, 'truncated')).filter((c) => c.envelope.op !== 't').map((c) => [c.envelope.op, c.key])).toEqual(
      expect.arrayContaining([
        ['r', { id: 1 }],
        ['r', { id: 2 }],
        ['c', { id: 3 }],
      ]),
    );
    expect(truncateAction(undefined, 'truncated')).toMatchObject({ action: 'quarantine', reason: 'truncate' });
    expect(truncateAction('delete-rows', 'truncated')).toEqual({ action: 'delete-rows', table: 'truncated' });
    expect(truncateAction('ignore', 'truncated')).toEqual({ action: 'ignore' });
  });

  it('heartbeats on __debezium-heartbeat.<prefix>', async () => {
    const beats = (await decodedRecords(id)).filter(({ record }) => record.topic === `__debezium-heartbeat.${prefixOf(id)}`);
    expect(beats.length).toBeGreaterThan(0);
    for (const { decoded } of beats) expect(decoded).toEqual({ kind: 'heartbeat', sourceTsMs: expect.any(Number) });
  });
});

describe.each(['mariadb-avro', 'mariadb-json'] as const)('%s: schema changes', (id) => {
  it('DDL records on the schema-change topic (include.schema.changes) decode as schema-change', async () => {
    const ddl = (await decodedRecords(id)).filter(({ record }) => record.topic === prefixOf(id));
    expect(ddl.length).toBeGreaterThan(0);
    expect(new Set(ddl.map(({ decoded }) => decoded.kind))).toEqual(new Set(['schema-change']));
  });
});

describe.each(ALL)('%s: ALTER TABLE … ADD COLUMN mid-stream', (id) => {
  const pg = id.startsWith('postgres');
  const price = id === 'postgres-json' ? '2nd_price' : '_2nd_price';

  it('records before and after the ALTER carry different writer schemas and both decode', async () => {
    const before = await theChange(id, 'evolving', 'c', 2);
    const after = await theChange(id, 'evolving', 'c', 3);
    expect(showRow(before.envelope.after)).toEqual({ id: 2, qty: '2.000' });
    // The row inserted without the new columns gets their DEFAULTs (1.25, 'none').
    expect(showRow(after.envelope.after)).toEqual({ id: 3, qty: '3.000', [price]: '1.25', note: 'none' });
    if (id.endsWith('avro')) {
      expect(confluentHeader(after.record.value!)!.schemaId).not.toBe(confluentHeader(before.record.value!)!.schemaId);
    } else {
      const schemaText = (b: Buffer) => b.toString('utf8').slice(0, b.toString('utf8').indexOf(',"payload":'));
      expect(schemaText(after.record.value!)).not.toBe(schemaText(before.record.value!));
    }
    expect(columnTypes(after.envelope)[price]).toMatchObject({ logical: 'org.apache.kafka.connect.data.Decimal', default: '1.25', optional: false });
    expect(columnTypes(after.envelope).note).toMatchObject({ type: 'string', default: 'none', optional: true });
  });

  it("an old row completed with the new schema's defaults; the source column name still resolves", async () => {
    const old = await theChange(id, 'evolving', 'r', 1);
    const newer = await theChange(id, 'evolving', 'c', 3);
    const completed = withDefaults(old.envelope.after!, newer.envelope.schema!);
    expect(showRow(completed)).toEqual({ id: 1, qty: '1.000', [price]: '1.25', note: 'none' });
    expect(resolveColumn(completed, columnTypes(newer.envelope), '2nd_price')).toBe(price);
    expect(old.envelope.after).not.toHaveProperty(price);
  });

  it('an update after the ALTER of a row written before it', async () => {
    const { envelope } = await theChange(id, 'evolving', 'u', 1);
    expect(showRow(envelope.after)).toEqual({ id: 1, qty: '1.500', [price]: '1.25', note: 'none' });
    if (pg) expect(envelope.before).toBeNull();
    else expect(showRow(envelope.before)).toEqual({ id: 1, qty: '1.000', [price]: '1.25', note: 'none' });
  });
});

describe('PostgreSQL specifics', () => {
  /** The seven TOASTed columns of `toasty`. */
  const TOASTED = ['big_text', 'int_arr', 'bigint_arr', 'text_arr', 'bytes', 'kv', 'doc'];

  describe.each(['postgres-avro', 'postgres-json', 'postgres-avro-string', 'postgres-json-string'] as const)('%s: unchanged TOAST', (id) => {
    it('an update that leaves the large columns alone marks each of them UNCHANGED (string, bytes, arrays, hstore)', async () => {
      const { key, envelope } = await theChange(id, 'toasty', 'u', 2);
      expect(key).toEqual({ id: 2 });
      expect(envelope.before).toBeNull();
      expect(envelope.after!.qty).toBe('2.5');
      for (const column of TOASTED) expect(envelope.after![column], column).toBe(UNCHANGED);
      expect(showRow(envelope.after)).toEqual({ id: 2, qty: '2.5', ...Object.fromEntries(TOASTED.map((c) => [c, 'unchanged'])) });
    });

    it('the insert before it carried the real values', async () => {
      const { envelope } = await theChange(id, 'toasty', 'c', 2);
      const row = envelope.after as Row;
      expect(TOASTED.filter((c) => isUnchanged(row[c]))).toEqual([]);
      expect((row.big_text as string).length).toBe(6400);
      expect((row.big_text as string).slice(0, 32)).toBe('c4ca4238a0b923820dcc509a6f75849b'); // md5('1')
      expect(row.int_arr as number[]).toHaveLength(2000);
      expect((row.int_arr as number[]).slice(0, 3)).toEqual([1, 2, 3]);
      expect((row.bigint_arr as Array<number | bigint>).slice(0, 2)).toEqual([1000000000000, 2000000000000]);
      expect((row.bytes as Buffer).length).toBe(3200);
      expect(row.text_arr as string[]).toHaveLength(200);
      if (id.endsWith('string')) expect(JSON.parse(row.kv as string).k1).toBe('c4ca4238a0b923820dcc509a6f75849b');
      else expect((row.kv as Record<string, string>).k1).toBe('c4ca4238a0b923820dcc509a6f75849b');
    });
  });

  describe.each(['postgres-avro', 'postgres-json'] as const)('%s', (id) => {
    it('a delete under REPLICA IDENTITY DEFAULT: before holds the key; NOT NULL columns get type defaults', async () => {
      const { key, envelope } = await theChange(id, 'types', 'd', 105);
      expect(key).toEqual({ id: 105 });
      // label is NOT NULL: Debezium fills '' — a stand-in, not data. Never compute from `before`.
      expect(envelope.before!.label).toBe('');
      expect(Object.entries(envelope.before!).filter(([k, v]) => k !== 'id' && k !== 'label' && v !== null)).toEqual([]);
    });

    it('a logical decoding message: op m on <prefix>.message, prefix and content', async () => {
      const messages = (await decodedRecords(id)).filter(({ record }) => record.topic === `${prefixOf(id)}.message`).map(({ decoded }) => decoded);
      expect(messages).toHaveLength(1);
      const m = messages[0] as Extract<DecodedRecord, { kind: 'change' }>;
      expect(m.key).toEqual({ prefix: 'stocksync' });
      expect(m.envelope).toMatchObject({ op: 'm', before: null, after: null });
      expect(m.envelope.message!.prefix).toBe('stocksync');
      expect(Buffer.from(m.envelope.message!.content as Buffer).toString('utf8')).toBe('fixture message');
    });
  });
});
