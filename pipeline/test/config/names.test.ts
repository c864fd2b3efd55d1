/**
 * The names users and channel apps depend on (README, docs/channels.md): the literals here ARE the
 * contract, so a rename fails this test and has to be deliberate. Pure unit test.
 */
import { describe, expect, it } from 'vitest';
import {
  availabilityField,
  channelGroupId,
  channelStream,
  DEAD_LETTER_TOPIC,
  PIPELINE_GROUP_ID,
  redisKeyPart,
  redisKeys,
  STOCK_CHANGES_CHANNEL,
  STOCK_LEVELS_TOPIC,
} from '../../src/config/names.ts';

describe('names', () => {
  it('keeps the documented topic, group, key, channel and stream names', () => {
    expect([STOCK_LEVELS_TOPIC, DEAD_LETTER_TOPIC]).toEqual(['stock.levels', 'stocksync.dlq']);
    expect([PIPELINE_GROUP_ID, channelGroupId('webshop')]).toEqual(['stocksync-pipeline', 'stocksync-channel-webshop']);
    expect(redisKeys('SKU-1', 'WH1/Stock')).toEqual({ level: 'stocksync:stock:SKU-1:WH1/Stock', sku: 'stocksync:stock:SKU-1' });
    expect(availabilityField('webshop')).toBe('channel:webshop');
    expect(STOCK_CHANGES_CHANNEL).toBe('stocksync:stock-changes');
    expect(channelStream('webshop')).toBe('stocksync:channel:webshop');
  });

  it('gives two different (sku, location) pairs two different keys, a colon in a part or not', () => {
    expect(redisKeys('A', 'B:C').level).toBe('stocksync:stock:A:B%3AC');
    expect(redisKeys('A:B', 'C').level).toBe('stocksync:stock:A%3AB:C');
    // A per-SKU key is never a row key of another SKU, and an encoded part never collides with a raw one.
    expect(redisKeys('A:B', 'C').sku).toBe('stocksync:stock:A%3AB');
    expect(redisKeys('A', 'B').level).toBe('stocksync:stock:A:B');
    expect(redisKeys('A%3AB', 'C').level).toBe('stocksync:stock:A%253AB:C');
    const pairs: Array<[string, string]> = [
      ['A', 'B:C'],
      ['A:B', 'C'],
      ['A', 'B'],
      ['A:B', ''],
      ['A%3AB', 'C'],
      ['A%', '3AB:C'],
      [':', ':'],
      ['', '::'],
    ];
    const keys = pairs.flatMap(([sku, location]) => [redisKeys(sku, location).level, redisKeys(sku, location).sku]);
    expect(new Set(keys).size).toBe(new Set(pairs.flatMap(([sku, location]) => [`row ${sku}\0${location}`, `sku ${sku}`])).size);
    // Each part decodes back to what was given.
    for (const [sku, location] of pairs) {
      expect(redisKeys(sku, location).level.split(':').slice(2).map(decodeURIComponent)).toEqual([sku, location]);
    }
    expect(redisKeyPart('100%:x')).toBe('100%25%3Ax');
  });
});
