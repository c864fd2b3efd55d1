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

/**
 * A record that cannot be decoded. `reason` is a short machine code ({@link DecodeErrorReason});
 * `field` the path of the value at fault when one is (`after.quantity`, `before.tags[2]`), which
 * the message also starts with (`at after.quantity: …`).
 */
export class DecodeError extends Error {
  readonly field: string | undefined;
  constructor(
    readonly reason: DecodeErrorReason,
    message: string,
    options?: { cause?: unknown; field?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DecodeError';
    this.field = options?.field;
  }
}
