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
});
