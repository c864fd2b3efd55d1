/** Waiting out a Kafka cluster that is still settling, or still starting. */
import pRetry from 'p-retry';
import { kafkaErrorKind } from './client.ts';

/** How long {@link retryWhileKafkaSettles} keeps trying. */
export interface SettleOptions {
  /** Attempts after the first (backoff 250 ms doubling to 2 s); default 8, about 12 s of waiting. */
  retries?: number;
  /** Called after each transient failure that will be retried (e.g. to log "waiting for Kafka"). */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Attempts a long-running service makes at start-up (about a minute of backoff): a broker that is
 * starting, restarting or overloaded is waited for, as Kafka Connect workers wait, instead of the
 * service exiting; an address that never answers still fails, with the client's message.
 */
export const STARTUP_RETRIES = 30;

/**
 * Runs `step` again while it fails with an error the client classifies as transient: right after
 * topics are created (by us or a connector) the broker may briefly not know them or not be their
 * leader yet; at start-up the broker may not answer yet.
 * @throws the step's last error, or at once a permanent one.
 */
export function retryWhileKafkaSettles<T>(step: () => Promise<T>, { retries = 8, onRetry }: SettleOptions = {}): Promise<T> {
  return pRetry(step, {
    retries,
    minTimeout: 250,
    maxTimeout: 2000,
    shouldRetry: ({ error }) => kafkaErrorKind(error) === 'transient',
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && kafkaErrorKind(error) === 'transient') onRetry?.(error, attemptNumber);
    },
  });
}
