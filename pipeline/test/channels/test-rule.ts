import type { ChannelRule } from '../../src/channels/config.ts';

/** A channel rule for tests: every field a plain default (the WH stock locations and STORE-01, no buffer or cap), any of them overridden. */
export const rule = (overrides: Partial<ChannelRule> = {}): ChannelRule => ({
  name: 'test',
  store: { kind: 'postgres', endpoint: 'test', table: 'channel_stock' },
  locations: ['WH*/Stock', 'STORE-01'],
  safetyStock: { fromSource: true, byLocation: {}, default: '0' },
  buffer: null,
  cap: null,
  rateLimit: { requestsPerSecond: 5, burst: 10 },
  batchSize: 500,
  lowStock: { skus: {}, patterns: [], default: null },
  ...overrides,
});
