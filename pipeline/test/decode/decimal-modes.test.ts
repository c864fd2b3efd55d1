/**
 * Golden tests: the `decimals` table under each `decimal.handling.mode` (precise, string, double),
 * each through both converters, from MariaDB and PostgreSQL. Precise and string are exact decimal
 * strings (precise: Decimal bytes / base64, negative two's complement; VariableScaleDecimal for
 * PostgreSQL NUMERIC without precision); double is what it is, a float64.
 */
import { describe, expect, it } from 'vitest';
import { columnTypes } from '../../src/decode/index.ts';
import { changesOf, showRow } from './captured-records.ts';

const MARIADB_EXACT = {
  1: { p: '12345.6789', n: '-12345.6789', wide: '-12345678901234567890123456789012345.123456789012345678901234567890', whole: '-5' },
  2: { p: '0.0001', n: '-0.0001', wide: '0.000000000000000000000000000001', whole: '0' },
  // DECIMAL(20,4) / (65,30) keep their scale: -128 → '-128.0000'
  3: { p: '-128.0000', n: '-32768.0000', wide: '-1.000000000000000000000000000000', whole: '9999999999' },
  4: { p: null, n: null, wide: null, whole: null },
};
const MARIADB_DOUBLE = {
  1: { p: 12345.6789, n: -12345.6789, wide: -1.2345678901234568e34, whole: -5 },
  2: { p: 0.0001, n: -0.0001, wide: 1e-30, whole: 0 },
  3: { p: -128, n: -32768, wide: -1, whole: 9999999999 },
  4: { p: null, n: null, wide: null, whole: null },
};
const POSTGRES_PRECISE = {
  1: { p: '12345.6789', n: '-12345.6789', var: '-98765432109876543210.0000000001', whole: '-5' },
  2: { p: '0.0001', n: '-0.0001', var: '0.000000000000000000000000000001', whole: '0' },
  // NaN in numeric(20,4) and in numeric: null (a null quantity is quarantined, never read as 0).
  3: { p: null, n: null, var: null, whole: null },
  4: { p: null, n: null, var: null, whole: null },
};
const POSTGRES_STRING = {
  ...POSTGRES_PRECISE,
  // string mode writes NaN as the text "NAN" (not a decimal: the normalize stage rejects it as a quantity).
  3: { p: 'NAN', n: null, var: 'NAN', whole: null },
};
const POSTGRES_DOUBLE = {
  1: { p: 12345.6789, n: -12345.6789, var: -98765432109876540000, whole: -5 },
  2: { p: 0.0001, n: -0.0001, var: 1e-30, whole: 0 },
  // double mode keeps NaN as a float64 NaN.
  3: { p: NaN, n: null, var: NaN, whole: null },
  4: { p: null, n: null, var: null, whole: null },
};

const CASES: Array<[string, Record<number, Record<string, unknown>>, string]> = [
  ['mariadb-avro', MARIADB_EXACT, 'org.apache.kafka.connect.data.Decimal'],
  ['mariadb-json', MARIADB_EXACT, 'org.apache.kafka.connect.data.Decimal'],
  ['mariadb-avro-string', MARIADB_EXACT, 'string'],
  ['mariadb-json-string', MARIADB_EXACT, 'string'],
  ['mariadb-avro-double', MARIADB_DOUBLE, 'float64'],
  ['mariadb-json-double', MARIADB_DOUBLE, 'float64'],
  ['postgres-avro', POSTGRES_PRECISE, 'org.apache.kafka.connect.data.Decimal'],
  ['postgres-json', POSTGRES_PRECISE, 'org.apache.kafka.connect.data.Decimal'],
  ['postgres-avro-string', POSTGRES_STRING, 'string'],
  ['postgres-json-string', POSTGRES_STRING, 'string'],
  ['postgres-avro-double', POSTGRES_DOUBLE, 'float64'],
  ['postgres-json-double', POSTGRES_DOUBLE, 'float64'],
];

describe.each(CASES)('%s: decimals', (id, rows, columnKind) => {
  it('every row, snapshot and streamed, decodes exactly', async () => {
    const changes = await changesOf(id, 'decimals');
    const seen = changes.map((c) => ({ op: c.envelope.op, after: showRow(c.envelope.after) })).sort((a, b) => Number(a.after!.id) - Number(b.after!.id));
    const entries = Object.entries(rows);
    const expected = [
      ...entries.map(([n, row]) => ({ op: 'r', after: { id: Number(n), ...row } })),
      ...entries.map(([n, row]) => ({ op: 'c', after: { id: Number(n) + 100, ...row } })),
    ];
    expect(seen).toEqual(expected);
  });

  it(`the fixed-scale column is ${columnKind} on the wire`, async () => {
    const [first] = await changesOf(id, 'decimals');
    const p = columnTypes(first!.envelope).p!;
    expect(p.logical ?? p.type).toBe(columnKind);
    if (id.startsWith('postgres') && id.split('-').length === 2) {
      expect(columnTypes(first!.envelope).var).toMatchObject({ type: 'struct', logical: 'io.debezium.data.VariableScaleDecimal' });
    }
  });
});
