/** The array literals of postgres/array-literal.ts read back by a real PostgreSQL as the values given. */
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { arrayParameter } from '../../src/postgres/array-literal.ts';

const pool = new pg.Pool({ ...stackEndpoints().canonical, database: 'postgres', max: 1 });

afterAll(async () => {
  await pool.end();
});

describe('arrayParameter on PostgreSQL', () => {
  it('round-trips text, numeric and boolean arrays, tricky strings and nulls included', async () => {
    const texts = ['a', null, 'b"c', 'd\\e', '', 'NULL', 'null', ' spaced ', '{x,y}', 'ü 😀', JSON.stringify({ q: 'A"1', p: 'c:\\d' }), '\\n', 'line\nbreak'];
    const res = await pool.query<{ t: Array<string | null>; n: string[]; b: boolean[] }>(
      'SELECT $1::text[] AS t, $2::numeric[]::text[] AS n, $3::bool[] AS b',
      [arrayParameter(texts), arrayParameter([1, -2.5, '3.25', 0]), arrayParameter([true, false, null])],
    );
    expect(res.rows[0]!.t).toEqual(texts);
    expect(res.rows[0]!.n).toEqual(['1', '-2.5', '3.25', '0']);
    expect(res.rows[0]!.b).toEqual([true, false, null]);
  });
});
