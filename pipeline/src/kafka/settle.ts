/** Waiting out a Kafka cluster that is still settling. */
import pRetry from 'p-retry';
import { kafkaErrorKind } from './client.ts';

/**
 * Runs `step` again (backoff 250 ms → 2 s, `retries` times) while it fails with an error the client
 * classifies as transient: right after topics are created (by us or a connector) the broker may
 * briefly not know them or not be their leader yet.
 * @throws the step's last error, or at once a permanent one.
 */
export function retryWhileKafkaSettles<T>(step: () => Promise<T>, retries = 8): Promise<T> {
  return pRetry(step, { retries, minTimeout: 250, maxTimeout: 2000, shouldRetry: ({ error }) => kafkaErrorKind(error) === 'transient' });
}
