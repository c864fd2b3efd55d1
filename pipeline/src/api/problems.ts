/**
 * Problem details for HTTP APIs (RFC 9457): every 4xx and 5xx of the availability API is an
 * `application/problem+json` body with `type`, `title`, `status`, `detail` and `instance`, plus
 * `errors` (one line per invalid field) where the request failed its schema. `type` is
 * `urn:stocksync:problem:<code>`; the codes are listed in docs/api.md.
 */

/** The media type of a problem body (RFC 9457 section 3). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The problem codes the API answers with (docs/api.md lists them with their status). */
export type ProblemCode =
  | 'invalid-request'
  | 'invalid-sku'
  | 'batch-too-large'
  | 'malformed-body'
  | 'unsupported-media-type'
  | 'body-too-large'
  | 'invalid-last-event-id'
  | 'unauthenticated'
  | 'forbidden'
  | 'unknown-channel'
  | 'unknown-sku'
  | 'not-found'
  | 'method-not-allowed'
  | 'rate-limited'
  | 'unavailable'
  | 'internal';

/** A problem body (RFC 9457 members, plus `errors` for schema failures). */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: string[];
}

/** An error a handler throws to answer with a problem body; the API's error handler sends it. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly title: string,
    detail: string,
    readonly errors?: string[],
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }

  /** The body for the request at `instance` (its path). */
  body(instance?: string): ProblemBody {
    return {
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** `urn:stocksync:problem:<code>`. */
export function problemType(code: ProblemCode): string {
  return `urn:stocksync:problem:${code}`;
}
