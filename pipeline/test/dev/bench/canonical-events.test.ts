import { describe, expect, it } from 'vitest';
import { positionValue } from '../../../dev/bench/canonical-events.ts';
import { sourcePosition } from '../../../src/normalize/position.ts';

describe('positionValue', () => {
  it('reads back the number of every position text the pipeline writes', () => {
    const binlog = sourcePosition({ connector: 'mariadb', name: 'pos', db: 'pos', ts_ms: 0, snapshot: 'false', file: 'binlog.000012', pos: 4711, row: 3 });
    const lsn = sourcePosition({ connector: 'postgresql', name: 'wms', db: 'wms', ts_ms: 0, snapshot: 'false', lsn: 0x1_6b37_48a0n });
    expect(positionValue(binlog.text)).toBe(binlog.value);
    expect(positionValue(lsn.text)).toBe(lsn.value);
    expect(positionValue('binlog.000002:99#0') < positionValue('binlog.000002:100#0')).toBe(true);
  });

  it('refuses other text', () => {
    expect(() => positionValue('0-1-42')).toThrow(/not a source position/);
  });
});
