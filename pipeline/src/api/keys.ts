/**
 * API keys of the availability API: who may read what. A key is a random secret the operator
 * hands to one channel app; the API stores and compares only its SHA-256 (hex), so the keys file,
 * the environment and a log never hold a usable key. Keys are 32 random bytes
 * ({@link newApiKey}), so an unsalted hash is enough: there is nothing to guess.
 *
 * A key's scope: the channels it may read (`*` = every channel) and whether it may read the
 * per-location stock (`GET /v1/stock/{sku}`). Its rate limit is requests per minute, shared by
 * every API instance through Redis (server.ts).
 *
 * Sources, both optional, merged (an id may appear once in all):
 * - a YAML or JSON file (`--keys-file`, env `STOCKSYNC_API_KEYS_FILE`) `{ keys: [ApiKeyEntry...] }`;
 * - env `STOCKSYNC_API_KEYS`: a JSON array of {@link ApiKeyEntry}.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** One key as the keys file writes it. */
export interface ApiKeyEntry {
  /** Who holds the key (used in logs, metrics and the rate limit's Redis key): `[A-Za-z0-9._-]{1,64}`. */
  id: string;
  /** SHA-256 of the key, 64 lower-case hex digits ({@link hashApiKey}). */
  sha256: string;
  /** Channels the key may read; `*` = every channel. */
  channels: string[];
  /** May read `GET /v1/stock/{sku}` (default false). */
  stock?: boolean;
  /** Requests per minute (default: the server's `--rate-limit`). */
  rate_limit_per_minute?: number;
}

/** A loaded key. */
export interface ApiKey {
  id: string;
  sha256: string;
  channels: string[];
  stock: boolean;
  /** Requests per minute, or undefined for the server's default. */
  ratePerMinute?: number;
}

/** The keys the API accepts, by hash. */
export interface ApiKeys {
  /** The key whose SHA-256 this presented secret has, or undefined. */
  find(secret: string): ApiKey | undefined;
  readonly size: number;
}

/** Thrown when a keys file or `STOCKSYNC_API_KEYS` is not valid, naming where and what. */
export class ApiKeysError extends Error {}

/** SHA-256 of a key, lower-case hex. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new random key: `ssk_` and 32 random bytes, base64url (43 characters). */
export function newApiKey(): string {
  return `ssk_${randomBytes(32).toString('base64url')}`;
}

/** Whether `key` may read channel `channel`. */
export function mayReadChannel(key: ApiKey, channel: string): boolean {
  return key.channels.includes('*') || key.channels.includes(channel);
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;
const HEX = /^[0-9a-f]{64}$/;

function toKey(entry: unknown, where: string): ApiKey {
  const e = entry as Partial<ApiKeyEntry> | null;
  const fail = (what: string) => {
    throw new ApiKeysError(`${where}: ${what}`);
  };
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail('each key must be an object { id, sha256, channels }');
  if (typeof e.id !== 'string' || !ID.test(e.id)) fail('id must be 1 to 64 letters, digits, ".", "_" or "-"');
  if (typeof e.sha256 !== 'string' || !HEX.test(e.sha256)) fail(`key "${e.id}": sha256 must be 64 lower-case hex digits (npx stocksync api key prints it)`);
  if (!Array.isArray(e.channels) || !e.channels.every((c) => typeof c === 'string' && c.length > 0))
    fail(`key "${e.id}": channels must be a list of channel names or "*"`);
  if (e.stock !== undefined && typeof e.stock !== 'boolean') fail(`key "${e.id}": stock must be true or false`);
  const rate = e.rate_limit_per_minute;
  if (rate !== undefined && !(Number.isInteger(rate) && rate > 0)) fail(`key "${e.id}": rate_limit_per_minute must be a positive integer`);
  return { id: e.id as string, sha256: e.sha256 as string, channels: e.channels as string[], stock: e.stock ?? false, ratePerMinute: rate };
}

/**
 * Builds the key set from entries (each checked; ids and hashes must be unique).
 * @throws ApiKeysError naming the source and the entry.
 */
export function apiKeys(entries: ReadonlyArray<{ entry: unknown; where: string }>): ApiKeys {
  const byHash = new Map<string, ApiKey>();
  const ids = new Set<string>();
  for (const { entry, where } of entries) {
    const key = toKey(entry, where);
    if (ids.has(key.id)) throw new ApiKeysError(`${where}: key id "${key.id}" appears twice`);
    if (byHash.has(key.sha256)) throw new ApiKeysError(`${where}: key "${key.id}" has the same sha256 as key "${byHash.get(key.sha256)?.id}"`);
    ids.add(key.id);
    byHash.set(key.sha256, key);
  }
  // Secrets already seen to be valid skip the hash (at most one entry per key: only valid secrets are kept).
  const known = new Map<string, ApiKey>();
  return {
    find(secret) {
      const seen = known.get(secret);
      if (seen) return seen;
      const key = byHash.get(hashApiKey(secret));
      if (key) known.set(secret, key);
      return key;
    },
    size: byHash.size,
  };
}

/**
 * Loads the keys from a file and/or the environment (module comment).
 * @param file - YAML or JSON `{ keys: [...] }`; default env `STOCKSYNC_API_KEYS_FILE`.
 * @throws ApiKeysError for an unreadable or invalid file or variable.
 */
export function loadApiKeys(
  file: string | undefined = process.env.STOCKSYNC_API_KEYS_FILE,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ApiKeys {
  const entries: Array<{ entry: unknown; where: string }> = [];
  if (file) {
    let data: unknown;
    try {
      data = parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ApiKeysError(`${file}: ${(error as Error).message}`);
    }
    const keys = (data as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new ApiKeysError(`${file}: expected { keys: [ { id, sha256, channels } ... ] }`);
    keys.forEach((entry, i) => {
      entries.push({ entry, where: `${file}: keys[${i}]` });
    });
  }
  const inline = env.STOCKSYNC_API_KEYS;
  if (inline) {
    let list: unknown;
    try {
      list = JSON.parse(inline);
    } catch (error) {
      throw new ApiKeysError(`STOCKSYNC_API_KEYS: not JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(list)) throw new ApiKeysError('STOCKSYNC_API_KEYS: expected a JSON array of { id, sha256, channels }');
    list.forEach((entry, i) => {
      entries.push({ entry, where: `STOCKSYNC_API_KEYS[${i}]` });
    });
  }
  return apiKeys(entries);
}
