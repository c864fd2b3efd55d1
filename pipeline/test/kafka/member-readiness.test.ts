import { describe, expect, it } from 'vitest';
import { CONSUMER_SESSION_MS, type ConsumerStatus } from '../../src/kafka/client.ts';
import { memberReadiness } from '../../src/kafka/member-readiness.ts';

const NOW = 1_800_000_000_000;
const status = (s: Partial<ConsumerStatus>): ConsumerStatus => ({ joined: true, assignment: {}, lastContactMs: NOW - 1000, restarts: 0, ...s });

describe('memberReadiness', () => {
  it('is ready when joined and heard from within the session', () => {
    expect(memberReadiness(status({}), NOW)).toEqual({ ready: true, contactAgeMs: 1000, reason: null });
  });

  it('says why not: joining, rejoining after restarts, never heard from, silent past the session', () => {
    expect(memberReadiness(status({ joined: false, lastContactMs: 0 }), NOW)).toEqual({
      ready: false,
      contactAgeMs: null,
      reason: 'not a group member yet (joining)',
    });
    expect(memberReadiness(status({ joined: false, restarts: 3 }), NOW).reason).toBe('not a group member (restarted 3 times; rejoining)');
    expect(memberReadiness(status({ lastContactMs: 0 }), NOW).reason).toBe('no contact with the group coordinator yet');
    const silent = memberReadiness(status({ lastContactMs: NOW - CONSUMER_SESSION_MS - 5000 }), NOW);
    expect(silent).toMatchObject({ ready: false, contactAgeMs: CONSUMER_SESSION_MS + 5000 });
    expect(silent.reason).toBe(`no contact with the group coordinator for ${Math.round((CONSUMER_SESSION_MS + 5000) / 1000)} s`);
  });
});
