/**
 * Issue 12 on the real stack: the availability API (`stocksync api`) over the canonical store,
 * Redis and the channel streams, with the pipeline and the channel fan-out running in-process on
 * a fresh sample. A POS sale is seen through GET (new ETag) and as an SSE event; a reconnect with
 * Last-Event-ID gets exactly what it missed; keys are scoped; the rate limit is shared by two
 * instances; every kind of bad input gets a problem+json 4xx; a headless Chromium page follows a
 * sale with its own EventSource.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { connectionOptions, stackEndpoints } from '../../src/config/endpoints.ts';
import { sampleWriter } from '../../dev/stack/accounts.ts';
import { channelStream } from '../../src/config/names.ts';
import { readChannelChanges } from '../../src/channels/availability.ts';
import { startApi, type RunningApi } from '../../src/api/index.ts';
import { apiKeys, hashApiKey } from '../../src/api/keys.ts';
import { applyPosMovements } from '../../dev/sample/pos/operations.ts';
import { POS_REASON } from '../../dev/sample/pos/schema.ts';
import { openSse, type SseClient } from '../../dev/api/sse-client.ts';
import { canonicalQuery, eventually } from '../helpers/environment.ts';
import { startChannelEnvironment, type ChannelEnvironment } from '../channels/channel-environment.ts';

const endpoints = stackEndpoints();
const SECRETS = { webshop: 'test-key-webshop', marketplace: 'test-key-marketplace', stock: 'test-key-stock', limited: 'test-key-limited' };
const keys = apiKeys(
  [
    { id: 'webshop-app', sha256: hashApiKey(SECRETS.webshop), channels: ['webshop'] },
    { id: 'marketplace-app', sha256: hashApiKey(SECRETS.marketplace), channels: ['marketplace'] },
    { id: 'ops', sha256: hashApiKey(SECRETS.stock), channels: ['*'], stock: true },
    { id: `limited-${Date.now().toString(36)}`, sha256: hashApiKey(SECRETS.limited), channels: ['webshop'], rate_limit_per_minute: 5 },
  ].map((entry, i) => ({ entry, where: `test key ${i}` })),
);
const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });

let env: ChannelEnvironment;
let api: RunningApi;
let api2: RunningApi;
let pos: mysql.Connection;
let redis: Redis;
const clients: SseClient[] = [];

beforeAll(async () => {
  env = await startChannelEnvironment();
  api = await startApi({ keys, config: env.config, port: 0, heartbeatMs: 1000 });
  api2 = await startApi({ keys, config: env.config, port: 0 });
  // As the sample application: the connector user may only read.
  pos = await mysql.createConnection(connectionOptions(sampleWriter('pos', endpoints.pos)));
  redis = new Redis(endpoints.redisUrl);
}, 420_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await api?.close();
  await api2?.close();
  await pos?.end();
  redis?.disconnect();
  await env?.close();
});

const get = (path: string, headers: Record<string, string> = {}, base = api.url) => fetch(`${base}${path}`, { headers });
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${api.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const sse = (path: string, options: Parameters<typeof openSse>[1] = {}) => {
  const c = openSse(`${api.url}${path}`, options);
  clients.push(c);
  return c;
};

/** A STORE-01 SKU with at least `free` units above safety stock, not in `not`, and its POS product id. */
async function saleCandidate(free: number, not: string[] = []): Promise<{ sku: string; product: string }> {
  const rows = await canonicalQuery<{ sku: string }>(
    `SELECT sku FROM stock_level WHERE location = 'STORE-01' AND safety_stock IS NULL AND on_hand - reserved - 1 >= $1 AND on_hand = trunc(on_hand)
       AND NOT (sku = ANY($2::text[])) ORDER BY sku LIMIT 1`,
    [free, not],
  );
  const sku = rows[0]!.sku;
  const [[product]] = (await pos.query('SELECT id FROM products WHERE reference = ?', [sku])) as unknown as [Array<{ id: string }>];
  return { sku, product: product!.id };
}
const sell = (product: string, units: number) => applyPosMovements(pos, [{ location: '0', product, reason: POS_REASON.sale, units: -units, price: 5 }]);

/** The SSE `availability` events of a client, parsed. */
const changes = (c: SseClient) =>
  c.events.filter((e) => e.event === 'availability').map((e) => ({ id: e.id!, ...(JSON.parse(e.data) as { sku: string; quantity: number; version: number }) }));

describe('availability API on the real stack', () => {
  it('serves the OpenAPI 3.1 document, its docs page, /healthz, /readyz and /metrics', async () => {
    const doc = (await (await get('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/channels/{channel}/availability/{sku}',
        '/v1/channels/{channel}/availability:batch',
        '/v1/stock/{sku}',
        '/v1/channels/{channel}/events',
        '/healthz',
        '/readyz',
      ]),
    );
    expect((await get('/docs/')).status).toBe(200);
    expect(await (await get('/healthz')).text()).toBe('ok\n');
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });
    await get('/v1/channels/webshop/availability/SKU-000001', auth(SECRETS.webshop));
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(
      /stocksync_api_request_duration_seconds_count\{method="GET",route="\/v1\/channels\/:channel\/availability\/:sku",status="200"\} [1-9]/,
    );
  });

  it('GET availability equals the channel table, with the version as ETag, 304 on If-None-Match, and is cached in Redis', async () => {
    const [stored] = (await env.store('webshop').readAll()).slice(0, 1);
    const path = `/v1/channels/webshop/availability/${encodeURIComponent(stored!.sku)}`;
    await redis.del(`stocksync:stock:${stored!.sku}`);
    const first = await get(path, auth(SECRETS.webshop));
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    const body = (await first.json()) as { sku: string; quantity: number; version: number };
    expect(body).toMatchObject({ sku: stored!.sku, channel: 'webshop', quantity: stored!.quantity, version: stored!.version });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(new RegExp(`^"${stored!.version}-[0-9a-f]{8}"$`));
    const second = await get(path, auth(SECRETS.webshop));
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.headers.get('etag')).toBe(etag);
    expect(await second.json()).toEqual(body);
    const notModified = await get(path, { ...auth(SECRETS.webshop), 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
  });

  let sold = '';
  let liveClient: SseClient;
  it('a POS sale is seen through GET with a new ETag, and arrives as an SSE event', async () => {
    const { sku, product } = await saleCandidate(3);
    sold = sku;
    const path = `/v1/channels/webshop/availability/${sku}`;
    const before = await get(path, auth(SECRETS.webshop));
    const beforeBody = (await before.json()) as { quantity: number; version: number };
    const etag = before.headers.get('etag')!;
    liveClient = sse('/v1/channels/webshop/events', { headers: auth(SECRETS.webshop) });
    await liveClient.opened;
    expect(liveClient.status).toBe(200);
    await eventually(
      async () => liveClient.events.length,
      (n) => n >= 1,
    );
    expect(liveClient.events[0]!.event).toBe('ready');

    await sell(product, 2);
    const after = await eventually(
      async () => {
        const r = await get(path, { ...auth(SECRETS.webshop), 'if-none-match': etag });
        return { status: r.status, etag: r.headers.get('etag'), body: r.status === 200 ? ((await r.json()) as { quantity: number; version: number }) : null };
      },
      (r) => r.status === 200,
    );
    expect(after.etag).not.toBe(etag);
    expect(after.body!.quantity).toBe(beforeBody.quantity - 2);
    expect(after.body!.version).toBeGreaterThan(beforeBody.version);

    const event = await eventually(
      async () => changes(liveClient).find((c) => c.sku === sku),
      (c) => c !== undefined,
    );
    expect(event).toMatchObject({ sku, quantity: beforeBody.quantity - 2, version: after.body!.version });
    // The event id is the entry's id on the channel's Redis stream.
    const entry = (await readChannelChanges(redis, 'webshop')).find((c) => c.id === event!.id);
    expect(entry).toMatchObject({ sku, quantity: beforeBody.quantity - 2 });
  });

  it('a client that reconnects with Last-Event-ID gets exactly the events it missed', async () => {
    const lastSeen = changes(liveClient).at(-1)!.id;
    liveClient.close();
    const a = await saleCandidate(2, [sold]);
    const b = await saleCandidate(2, [sold, a.sku]);
    await sell(a.product, 1);
    await sell(b.product, 1);
    const missed = await eventually(
      async () => readChannelChanges(redis, 'webshop', { after: lastSeen }),
      (list) => list.some((c) => c.sku === a.sku) && list.some((c) => c.sku === b.sku),
    );
    const resumed = sse('/v1/channels/webshop/events', { headers: auth(SECRETS.webshop), lastEventId: lastSeen });
    await eventually(
      async () => changes(resumed).length,
      (n) => n >= missed.length,
    );
    await env.settle();
    const all = await readChannelChanges(redis, 'webshop', { after: lastSeen });
    // Let any event still in flight arrive, then compare: every id after lastSeen once, in order.
    await eventually(
      async () => changes(resumed).length,
      (n) => n >= all.length,
    );
    expect(changes(resumed).map((c) => c.id)).toEqual(all.map((c) => c.id));
    expect(changes(resumed).map((c) => [c.sku, c.quantity])).toEqual(all.map((c) => [c.sku, c.quantity]));
    expect(resumed.events.some((e) => e.event === 'reset')).toBe(false);

    // The same through ?lastEventId= (for clients that cannot set the header).
    const byQuery = sse(`/v1/channels/webshop/events?lastEventId=${encodeURIComponent(lastSeen)}`, { headers: auth(SECRETS.webshop) });
    await eventually(
      async () => changes(byQuery).length,
      (n) => n >= all.length,
    );
    expect(changes(byQuery).map((c) => c.id)).toEqual(all.map((c) => c.id));
    // Heartbeats keep the connection (the test server sends one a second): the stream is still open.
    expect(byQuery.status).toBe(200);
  });

  it('tells a client to re-read (event reset) when the stream no longer holds what it missed', async () => {
    const future = sse('/v1/channels/webshop/events', { headers: auth(SECRETS.webshop), lastEventId: '99999999999999-0' });
    const reset = await eventually(
      async () => future.events.find((e) => e.event === 'reset'),
      (e) => e !== undefined,
    );
    expect(JSON.parse(reset!.data)).toMatchObject({ lastEventId: '99999999999999-0', reason: expect.stringContaining('after the stream') });

    // Trim the stream past an id a client last saw: that client must re-read.
    const entries = await readChannelChanges(redis, 'webshop');
    expect(entries.length).toBeGreaterThanOrEqual(2);
    const old = entries[0]!.id;
    await redis.xtrim(channelStream('webshop'), 'MINID', entries.at(-1)!.id);
    const trimmed = sse('/v1/channels/webshop/events', { headers: auth(SECRETS.webshop), lastEventId: old });
    const reset2 = await eventually(
      async () => trimmed.events.find((e) => e.event === 'reset'),
      (e) => e !== undefined,
    );
    expect(JSON.parse(reset2!.data)).toMatchObject({ lastEventId: old, reason: expect.stringContaining('no longer keeps') });
    expect(changes(trimmed)).toEqual([]);
  });

  it('batch: up to 1,000 SKUs in one request, in order, equal to the single reads', async () => {
    const stored = (await env.store('marketplace').readAll()).slice(0, 5);
    const skus = [...stored.map((r) => r.sku), 'NO-SUCH-SKU', stored[0]!.sku];
    const res = await post('/v1/channels/marketplace/availability:batch', JSON.stringify({ skus }), auth(SECRETS.marketplace));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { channel: string; items: Array<{ sku: string; quantity: number; version: number }> };
    expect(body.channel).toBe('marketplace');
    expect(body.items.map((i) => i.sku)).toEqual(skus);
    for (const [i, r] of stored.entries()) expect(body.items[i]).toMatchObject({ quantity: r.quantity, version: r.version });
    expect(body.items[5]).toEqual({ sku: 'NO-SUCH-SKU', channel: 'marketplace', quantity: 0, version: 0, canonicalVersions: {} });
    for (const sku of skus.slice(0, 3)) {
      const single = await (await get(`/v1/channels/marketplace/availability/${encodeURIComponent(sku)}`, auth(SECRETS.marketplace))).json();
      expect(body.items.find((i) => i.sku === sku)).toEqual(single);
    }
    const all = (await env.store('webshop').readAll()).map((r) => r.sku);
    const thousand = Array.from({ length: 1000 }, (_, i) => all[i % all.length]!);
    const big = await post('/v1/channels/webshop/availability:batch', JSON.stringify({ skus: thousand }), auth(SECRETS.webshop));
    expect(big.status).toBe(200);
    expect(((await big.json()) as { items: unknown[] }).items).toHaveLength(1000);
  });

  it('stock: on hand, reserved, available and safety stock per location with source and position, for a key with stock scope', async () => {
    const rows = await canonicalQuery<{ location: string; on_hand: string; source: string; source_position: string; version: string }>(
      'SELECT location, on_hand::text, source, source_position, version::text FROM stock_level WHERE sku = $1 ORDER BY location',
      [sold],
    );
    const res = await get(`/v1/stock/${sold}`, auth(SECRETS.stock));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sku: string; locations: Array<Record<string, unknown>> };
    expect(body.sku).toBe(sold);
    expect(body.locations.map((l) => [l.location, l.onHand, l.source, l.sourcePosition, l.version])).toEqual(
      rows.map((r) => [r.location, r.on_hand, r.source, r.source_position, Number(r.version)]),
    );
    expect(Object.keys(body.locations[0]!).sort()).toEqual(
      ['available', 'location', 'onHand', 'reserved', 'safetyStock', 'source', 'sourcePosition', 'sourceTsMs', 'updatedAt', 'version'].sort(),
    );
    expect((await get(`/v1/stock/${sold}`, auth(SECRETS.webshop))).status).toBe(403);
    const unknown = await get('/v1/stock/NO-SUCH-SKU', auth(SECRETS.stock));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'urn:stocksync:problem:unknown-sku', status: 404 });
  });

  it('keys are scoped: none or an unknown one is 401, another channel is 403 (SSE too)', async () => {
    const path = '/v1/channels/webshop/availability/SKU-000001';
    const none = await get(path);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await get(path, auth('not-a-key'))).status).toBe(401);
    expect((await get(path, { 'x-api-key': SECRETS.webshop })).status).toBe(200);
    const other = await get('/v1/channels/marketplace/availability/SKU-000001', auth(SECRETS.webshop));
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ type: 'urn:stocksync:problem:forbidden', status: 403, detail: expect.stringContaining('marketplace') });
    expect((await get('/v1/channels/webshop/availability/SKU-000001', auth(SECRETS.stock))).status).toBe(200); // channels: ['*']
    const events = sse('/v1/channels/webshop/events', { headers: auth(SECRETS.marketplace) });
    await events.opened;
    expect(events.status).toBe(403);
    // The key in the query string is taken on the events route only.
    expect((await get(`${path}?key=${SECRETS.webshop}`)).status).toBe(401);
    const byQuery = sse(`/v1/channels/webshop/events?key=${SECRETS.webshop}`);
    await byQuery.opened;
    expect(byQuery.status).toBe(200);
  });

  it('the rate limit per key is shared by two API instances through Redis: 429 with Retry-After', async () => {
    const path = '/v1/channels/webshop/availability/SKU-000001';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(path, auth(SECRETS.limited), i % 2 === 0 ? api.url : api2.url)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    for (const base of [api.url, api2.url]) {
      const limited = await get(path, auth(SECRETS.limited), base);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await limited.json()).toMatchObject({ type: 'urn:stocksync:problem:rate-limited', status: 429 });
    }
    // Other keys are not held back.
    expect((await get(path, auth(SECRETS.webshop))).status).toBe(200);
  });

  it('bad input gets a 4xx problem+json that says what is wrong', async () => {
    const expectProblem = async (res: Response, status: number, type: string) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as { type: string; status: number; detail: string; title: string };
      expect(body).toMatchObject({ type: `urn:stocksync:problem:${type}`, status });
      expect(body.detail.length).toBeGreaterThan(10);
      return body;
    };
    const h = auth(SECRETS.stock);
    await expectProblem(await get('/v1/channels/nosuch/availability/SKU-000001', h), 404, 'unknown-channel');
    await expectProblem(await get('/v1/channels/Not-A-Channel/availability/SKU-000001', h), 404, 'unknown-channel');
    await expectProblem(await get(`/v1/channels/webshop/availability/${'X'.repeat(192)}`, h), 400, 'invalid-sku');
    await expectProblem(await get('/v1/channels/webshop/availability/bad%00sku', h), 400, 'invalid-sku');
    await expectProblem(await get("/v1/stock/x'%0A;DROP TABLE stock_level", h), 400, 'invalid-sku');
    const tooMany = await expectProblem(
      await post('/v1/channels/webshop/availability:batch', JSON.stringify({ skus: Array.from({ length: 1001 }, (_, i) => `S${i}`) }), h),
      400,
      'batch-too-large',
    );
    expect(tooMany.detail).toContain('1000');
    await expectProblem(await post('/v1/channels/webshop/availability:batch', '{"skus": [', h), 400, 'malformed-body');
    await expectProblem(await post('/v1/channels/webshop/availability:batch', JSON.stringify({ sku: ['A'] }), h), 400, 'invalid-request');
    await expectProblem(await post('/v1/channels/webshop/availability:batch', JSON.stringify({ skus: [] }), h), 400, 'invalid-request');
    await expectProblem(await post('/v1/channels/webshop/availability:batch', JSON.stringify({ skus: ['ok', 'bad\u0001'] }), h), 400, 'invalid-sku');
    await expectProblem(
      await fetch(`${api.url}/v1/channels/webshop/availability:batch`, { method: 'POST', body: 'skus=A', headers: { ...h, 'content-type': 'text/plain' } }),
      415,
      'unsupported-media-type',
    );
    await expectProblem(await get('/v1/channels/webshop/events?lastEventId=yesterday', h), 400, 'invalid-last-event-id');
    await expectProblem(await get('/v1/nothing-here', h), 404, 'not-found');
    // Nothing of it changed the store.
    expect((await canonicalQuery<{ n: string }>('SELECT count(*)::text AS n FROM stock_level'))[0]!.n).not.toBe('0');
  });

  it('a page served by the API follows a sale in headless Chromium with its own EventSource', async () => {
    const executablePath = process.env.STOCKSYNC_CHROMIUM ?? '/usr/bin/chromium';
    expect(existsSync(executablePath), `${executablePath} (Debian package chromium; deploy/local/install-system.sh installs it)`).toBe(true);
    const { sku, product } = await saleCandidate(3, [sold]);
    const before = (await (await get(`/v1/channels/webshop/availability/${sku}`, auth(SECRETS.webshop))).json()) as { quantity: number };
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      const page = await browser.newPage();
      await page.goto(`${api.url}/demo/events#channel=webshop&sku=${encodeURIComponent(sku)}&key=${SECRETS.webshop}`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live', undefined, { timeout: 60_000 });
      await page.waitForFunction((q) => document.getElementById('quantity')?.textContent === String(q), before.quantity, { timeout: 60_000 });
      await sell(product, 2);
      await page.waitForFunction((q) => document.getElementById('quantity')?.textContent === String(q), before.quantity - 2, { timeout: 90_000 });
      expect(await page.textContent('#quantity')).toBe(String(before.quantity - 2));
      expect(Number(await page.textContent('#events'))).toBeGreaterThanOrEqual(1);
    } finally {
      await browser?.close();
    }
  });
});
