/**
 * A channel request whose rate-limit turn fails because Redis is down must be retried, never taken
 * for a request its rows made the store refuse: before this, ioredis's MaxRetriesPerRequestError
 * was classified `rejected`, so the chunk's SKUs were dead-lettered and their channel rows stayed
 * stale (found by the store-fault stack test, Redis killed under load).
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { channelErrorKind, createChannelRateLimiter, RateLimitUnavailable } from '../../src/channels/stores.ts';
import { storeErrorKind } from '../../src/postgres/errors.ts';

// Nothing listens on port 1: every command fails after its retries.
const redis = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
redis.on('error', () => undefined);
afterAll(() => redis.disconnect());

describe('a channel rate limit whose Redis is down', () => {
  it('fails the request as transient (retried), naming the channel', async () => {
    const take = createChannelRateLimiter('marketplace', { requestsPerSecond: 5, burst: 10 }, redis);
    const error = await take().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RateLimitUnavailable);
    expect((error as Error).message).toMatch(/^channel marketplace: the rate limit in Redis is unavailable: /);
    expect(channelErrorKind(error)).toBe('transient');
    // What the store classification alone made of the Redis client's error.
    expect(storeErrorKind((error as Error).cause)).toBe('rejected');
  });

  it('leaves store errors to the store classification', () => {
    expect(channelErrorKind(Object.assign(new Error('value too long'), { code: '22001', severity: 'ERROR' }))).toBe('rejected');
    expect(channelErrorKind(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }))).toBe('transient');
  });
});
