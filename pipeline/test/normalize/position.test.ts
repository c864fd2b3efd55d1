import { describe, expect, it } from 'vitest';
import { sourcePosition, PositionError } from '../../src/normalize/position.ts';
import type { SourceInfo } from '../../src/decode/index.ts';

const mariadb = (file: string, pos: number, row: number) =>
  ({ connector: 'mariadb', name: 'pos', db: 'pos', ts_ms: 0, snapshot: 'false', file, pos, row }) as unknown as SourceInfo;

describe('source positions', () => {
  it('orders binlog positions by file sequence, byte position, then row', () => {
    const a = sourcePosition(mariadb('binlog.000002', 999_999, 7));
    const b = sourcePosition(mariadb('binlog.000003', 4, 0));
    const c = sourcePosition(mariadb('binlog.000003', 4, 1));
    expect(a.value < b.value && b.value < c.value).toBe(true);
    expect(c.text).toBe('binlog.000003:4#1');
  });

  it('uses the PostgreSQL LSN', () => {
    const p = sourcePosition({ connector: 'postgresql', lsn: 0x1_016b3748n } as unknown as SourceInfo);
    expect(p.value).toBe(0x1_016b3748n);
    expect(p.text).toBe('lsn:1/16B3748');
  });

  it('refuses a source block without a position', () => {
    expect(() => sourcePosition({ connector: 'x' } as unknown as SourceInfo)).toThrow(PositionError);
  });
});
