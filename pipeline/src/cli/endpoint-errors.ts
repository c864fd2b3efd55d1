/**
 * Command-level translation of a bare connection error (`connect ECONNREFUSED 127.0.0.1:1`) into one
 * that names the component, its address and what to check (postgres/connection-errors.ts), for
 * commands that reach several databases: the error's address tells which one failed.
 */
import { describeConnectionError, isConnectionFailure, isFailureToReach, type DescribedEndpoint } from '../postgres/connection-errors.ts';

/** A database a command reaches, and what to call it in an error. */
export interface NamedEndpoint {
  component: string;
  endpoint: DescribedEndpoint;
}

/**
 * `error` naming the candidate(s) it is about: those whose host and port the socket error names
 * (several when they share a server, e.g. the canonical store and the marketplace channel
 * database), or `sessionOwner` for a server that refused the session (bad login, no such database),
 * which names no address. Any other error comes back unchanged.
 */
export function explainConnectionFailure(error: unknown, candidates: NamedEndpoint[], sessionOwner?: NamedEndpoint): unknown {
  if (!isConnectionFailure(error)) return error;
  const matching = candidates.filter((c) => isFailureToReach(error, c.endpoint));
  if (matching.length > 0) return describeConnectionError(matching.map((c) => c.component).join(' / '), matching[0]!.endpoint, error);
  const socketLevel = /^E[A-Z]+$/.test(String((error as { code?: unknown }).code));
  return sessionOwner && !socketLevel ? describeConnectionError(sessionOwner.component, sessionOwner.endpoint, error) : error;
}
