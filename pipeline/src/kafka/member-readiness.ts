/**
 * Whether a consumer group member can do its work now, from its {@link ConsumerStatus}: it has
 * joined its group and the coordinator heard from it within the session timeout. A member that
 * cannot reach the coordinator for longer is about to lose its partitions.
 */
import { CONSUMER_SESSION_MS, type ConsumerStatus } from './client.ts';

/** A member's readiness: `reason` says why not (null when ready). */
export interface MemberReadiness {
  ready: boolean;
  /** ms since the coordinator last heard from the member; null = never. */
  contactAgeMs: number | null;
  reason: string | null;
}

/** Judges `status` at `nowMs` (ms since epoch). */
export function memberReadiness(status: ConsumerStatus, nowMs: number = Date.now()): MemberReadiness {
  const contactAgeMs = status.lastContactMs === 0 ? null : nowMs - status.lastContactMs;
  let reason: string | null = null;
  if (!status.joined) reason = status.restarts > 0 ? `not a group member (restarted ${status.restarts} times; rejoining)` : 'not a group member yet (joining)';
  else if (contactAgeMs === null) reason = 'no contact with the group coordinator yet';
  else if (contactAgeMs >= CONSUMER_SESSION_MS) reason = `no contact with the group coordinator for ${Math.round(contactAgeMs / 1000)} s`;
  return { ready: reason === null, contactAgeMs, reason };
}
