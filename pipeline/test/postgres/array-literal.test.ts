import { describe, expect, it } from 'vitest';
import { arrayParameter } from '../../src/postgres/array-literal.ts';

describe('arrayParameter', () => {
  it('builds the literal of strings, numbers, booleans and nulls', () => {
    expect(arrayParameter(['a', null, 'b"c', 'd\\e', undefined, ''])).toBe('{"a",null,"b\\"c","d\\\\e",null,""}');
    expect(arrayParameter([1, -2.5, 1e21])).toBe('{1,-2.5,1e+21}');
    expect(arrayParameter([true, false])).toBe('{true,false}');
    expect(arrayParameter([])).toBe('{}');
    expect(arrayParameter(['SKU ü 😀', '{x,y}', 'null'])).toBe('{"SKU ü 😀","{x,y}","null"}');
  });

  it('keeps JSON text inside an element exact: escaped quotes and backslashes only', () => {
    const payload = JSON.stringify({ sku: 'A"1', note: 'c:\\dir' });
    expect(arrayParameter([payload])).toBe(`{${JSON.stringify(payload)}}`);
  });

  it('leaves to node-postgres what JSON would escape otherwise, and values of other kinds', () => {
    for (const values of [
      ['line\nbreak'],
      ['unit\u001fsep'],
      ['lone \ud800'],
      ['x', '{"a":"b\\nc"}'.replace('\\n', '\n')],
      [1n],
      [Number.NaN],
      [new Date(0)],
      [{ a: 1 }],
    ]) {
      expect(arrayParameter(values)).toBe(values);
    }
  });

  it('handles large arrays of JSON payloads (a merge of 50,000 keys)', () => {
    const payloads = Array.from({ length: 50_000 }, (_, i) => JSON.stringify({ sku: `SKU-${i}`, note: 'a "quoted" c:\\path' }));
    const literal = arrayParameter(payloads);
    expect(typeof literal).toBe('string');
    expect((literal as string).length).toBeGreaterThan(50_000 * 40);
  });

  it('tells an escaped backslash before a letter from a JSON escape', () => {
    // JSON of the two characters backslash and n is "\\n": a pair, not the escape \n.
    expect(arrayParameter(['\\n'])).toBe('{"\\\\n"}');
  });
});
