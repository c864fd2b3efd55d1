/** API keys (scopes, hashing, the file and environment formats), ETag matching and stream id order: no stack. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKeysError, hashApiKey, loadApiKeys, mayReadChannel, newApiKey } from '../../src/api/keys.ts';
import { ifNoneMatch } from '../../src/api/routes.ts';
import { compareStreamIds } from '../../src/api/event-feed.ts';

describe('API keys', () => {
  it('are random, and stored and compared as their SHA-256 only', () => {
    const a = newApiKey();
    expect(a).toMatch(/^ssk_[A-Za-z0-9_-]{43}$/);
    expect(newApiKey()).not.toBe(a);
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('load from a YAML file and STOCKSYNC_API_KEYS, with their scopes', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stocksync-keys-'));
    const file = path.join(dir, 'keys.yaml');
    writeFileSync(file, `keys:\n  - { id: shop, sha256: ${hashApiKey('s1')}, channels: [webshop], rate_limit_per_minute: 60 }\n`);
    const keys = loadApiKeys(file, { STOCKSYNC_API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashApiKey('s2'), channels: ['*'], stock: true }]) });
    expect(keys.size).toBe(2);
    const shop = keys.find('s1')!;
    expect(shop).toEqual({ id: 'shop', sha256: hashApiKey('s1'), channels: ['webshop'], stock: false, ratePerMinute: 60 });
    expect(mayReadChannel(shop, 'webshop')).toBe(true);
    expect(mayReadChannel(shop, 'marketplace')).toBe(false);
    expect(mayReadChannel(keys.find('s2')!, 'marketplace')).toBe(true);
    expect(keys.find(hashApiKey('s1'))).toBeUndefined(); // the hash itself is no key
    expect(keys.find('nope')).toBeUndefined();
  });

  it('refuse bad entries, naming where', () => {
    const env = (list: unknown) => ({ STOCKSYNC_API_KEYS: JSON.stringify(list) });
    expect(() => loadApiKeys(undefined, env([{ id: 'a', sha256: 'short', channels: ['webshop'] }]))).toThrow(/STOCKSYNC_API_KEYS\[0\]: key "a": sha256/);
    expect(() => loadApiKeys(undefined, env([{ id: 'a b', sha256: hashApiKey('x'), channels: [] }]))).toThrow(ApiKeysError);
    expect(() =>
      loadApiKeys(
        undefined,
        env([
          { id: 'a', sha256: hashApiKey('x'), channels: ['w'] },
          { id: 'a', sha256: hashApiKey('y'), channels: ['w'] },
        ]),
      ),
    ).toThrow(/appears twice/);
    expect(() => loadApiKeys(undefined, { STOCKSYNC_API_KEYS: '{' })).toThrow(/not JSON/);
    expect(() => loadApiKeys(undefined, env([{ id: 'a', sha256: hashApiKey('x'), channels: ['w'], rate_limit_per_minute: 0 }]))).toThrow(/positive integer/);
  });
});

describe('If-None-Match and stream ids', () => {
  it('matches an ETag in a list, weak or strong, and *', () => {
    expect(ifNoneMatch('"12-abcd"', '"12-abcd"')).toBe(true);
    expect(ifNoneMatch('"1-x", W/"12-abcd"', '"12-abcd"')).toBe(true);
    expect(ifNoneMatch('*', '"12-abcd"')).toBe(true);
    expect(ifNoneMatch('"11-abcd"', '"12-abcd"')).toBe(false);
    expect(ifNoneMatch(undefined, '"12-abcd"')).toBe(false);
  });

  it('orders Redis stream ids by time, then sequence, as numbers', () => {
    expect(compareStreamIds('1700000000000-2', '1700000000000-10')).toBe(-1);
    expect(compareStreamIds('99999999999999-0', '1796322385773-0')).toBe(1);
    expect(compareStreamIds('5-5', '5-5')).toBe(0);
  });
});
