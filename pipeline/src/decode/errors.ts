/**
 * The one error type of the decode stage for input that cannot be decoded. A `DecodeError` means
 * the record itself is bad: the caller quarantines it (dead-letter topic, with `reason` as a
 * header) and goes on. Any other error thrown by a decoder (the schema registry unreachable, …)
 * is transient: the caller retries the record and must not dead-letter it.
 */

import type { DeadLetterReasonOf } from '../dead-letter/index.ts';

/**
 * Machine-readable reason of a {@link DecodeError}: the decode-stage reasons of the dead-letter
 * reason table (`DEAD_LETTER_REASONS` in dead-letter/reasons.ts, which says what each means).
 */
export type DecodeErrorReason = DeadLetterReasonOf<'decode'>;

/** A record that cannot be decoded. `reason` is a short machine code ({@link DecodeErrorReason}). */
export class DecodeError extends Error {
  constructor(
    readonly reason: DecodeErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DecodeError';
  }
}
