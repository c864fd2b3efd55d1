/**
 * The availability API's routes (docs/api.md). Each `/v1` route declares what key it needs in its
 * `config.auth` (checked by server.ts before the handler runs); schemas are in schemas.ts.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AvailabilityReader, ChannelsConfig } from '../channels/index.ts';
import type { ReadinessReport } from '../metrics/server.ts';
import { metricsRegistry } from '../metrics/registry.ts';
import { demoPage } from './demo-page.ts';
import type { ChannelFeed } from './event-feed.ts';
import { countSseConnection, observeRequest } from './metrics.ts';
import { ApiProblem } from './problems.ts';
import {
  Availability,
  BatchRequest,
  BatchResponse,
  ChannelParams,
  ChannelSkuParams,
  commonProblems,
  EventsHeaders,
  EventsQuery,
  problemResponse,
  SkuParams,
  StockResponse,
  type AvailabilityBody,
  type StockBody,
} from './schemas.ts';

type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What the routes read from. */
export interface RouteDeps {
  reader: AvailabilityReader;
  pool: pg.Pool;
  redis: Redis;
  config: ChannelsConfig;
  feedOf(channel: string): Promise<ChannelFeed>;
}

/** The response body of an availability (the reader's `cached` flag goes to the `X-Cache` header instead: one representation per version). */
const body = ({ sku, channel, quantity, version, canonicalVersions }: AvailabilityBody): AvailabilityBody => ({
  sku,
  channel,
  quantity,
  version,
  canonicalVersions,
});

/** Whether an `If-None-Match` header matches `etag` (weak comparison, RFC 9110 section 13.1.2). */
export function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/** Fails within `ms`, or gives `work`'s outcome. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const TAGS = { availability: ['availability'], stock: ['stock'], events: ['events'], operations: ['operations'] };

export function registerRoutes(app: App, deps: RouteDeps): void {
  const { reader, pool, redis, config } = deps;
  // A channel's rules are part of each ETag: a changed rule changes the quantity without a new canonical version.
  const ruleTag = new Map(config.channels.map((c) => [c.name, createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 8)]));
  const etagOf = (a: AvailabilityBody) => `"${a.version}-${ruleTag.get(a.channel)}"`;

  app.get(
    '/v1/channels/:channel/availability/:sku',
    {
      config: { auth: 'channel' },
      schema: {
        tags: TAGS.availability,
        summary: 'Available to sell of one SKU on one channel',
        description:
          'Served through the Redis cache-aside reader (key stocksync:stock:{sku}, field channel:{name}; invalidated by every canonical change of the SKU). ETag = the version and the rules; If-None-Match → 304.',
        params: ChannelSkuParams,
        headers: { type: 'object', properties: { 'if-none-match': { type: 'string' } } },
        response: {
          200: { ...Availability, headers: { ETag: { type: 'string' }, 'X-Cache': { type: 'string', enum: ['hit', 'miss'] } } },
          304: { type: 'null', description: 'not modified: the ETag still matches' },
          ...commonProblems,
        },
      },
    },
    async (request, reply) => {
      const a = await reader.getAvailability(request.params.sku, request.params.channel);
      const etag = etagOf(a);
      reply
        .header('etag', etag)
        .header('cache-control', 'no-cache')
        .header('x-cache', a.cached ? 'hit' : 'miss');
      if (ifNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return body(a);
    },
  );

  app.post(
    '/v1/channels/:channel/availability::batch',
    {
      config: { auth: 'channel' },
      schema: {
        tags: TAGS.availability,
        summary: 'Available to sell of up to 1,000 SKUs on one channel',
        description: 'One Redis round trip for all SKUs, and one canonical store query for those Redis did not hold.',
        params: ChannelParams,
        body: BatchRequest,
        response: { 200: BatchResponse, ...commonProblems, 413: problemResponse('body over 256 KiB'), 415: problemResponse('body not JSON') },
      },
    },
    async (request) => {
      const items = await reader.getAvailabilities(request.body.skus, request.params.channel);
      return { channel: request.params.channel, items: items.map(body) };
    },
  );

  app.get(
    '/v1/stock/:sku',
    {
      config: { auth: 'stock' },
      schema: {
        tags: TAGS.stock,
        summary: 'On hand, reserved, available and safety stock of a SKU per location',
        description: 'From the canonical store, with the source and source position that last changed each row. Needs a key with stock: true.',
        params: SkuParams,
        response: { 200: StockResponse, ...commonProblems },
      },
    },
    async (request): Promise<StockBody> => {
      const res = await pool.query<{
        location: string;
        on_hand: string;
        reserved: string;
        available: string;
        safety_stock: string | null;
        source: string;
        source_position: string;
        source_ts_ms: string | null;
        version: string;
        updated_at: Date;
      }>(
        `SELECT location, on_hand::text, reserved::text, available::text, safety_stock::text, source, source_position,
                source_ts_ms::text, version::text, updated_at
           FROM stock_level WHERE sku = $1 ORDER BY location`,
        [request.params.sku],
      );
      if (res.rows.length === 0) throw new ApiProblem(404, 'unknown-sku', 'Unknown SKU', `no stock row for SKU "${request.params.sku}"`);
      return {
        sku: request.params.sku,
        locations: res.rows.map((r) => ({
          location: r.location,
          onHand: r.on_hand,
          reserved: r.reserved,
          available: r.available,
          safetyStock: r.safety_stock,
          source: r.source,
          sourcePosition: r.source_position,
          sourceTsMs: r.source_ts_ms === null ? null : Number(r.source_ts_ms),
          version: Number(r.version),
          updatedAt: r.updated_at.toISOString(),
        })),
      };
    },
  );

  app.get(
    '/v1/channels/:channel/events',
    {
      config: { auth: 'channel', keyInQuery: true },
      schema: {
        tags: TAGS.events,
        summary: "Server-Sent Events of the channel's availability changes",
        description:
          'Events `ready`, `availability` (id = the Redis stream id; data {sku, quantity, previous, version, committedAtMs}) and `reset` (re-read: the stream no longer holds what you missed); `: heartbeat` comments. Resume with Last-Event-ID (or ?lastEventId=).',
        params: ChannelParams,
        querystring: EventsQuery,
        headers: EventsHeaders,
        response: {
          200: { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...commonProblems,
        },
      },
    },
    async (request, reply) => {
      const channel = request.params.channel;
      const lastEventId = request.headers['last-event-id'] ?? request.query.lastEventId;
      const feed = await deps.feedOf(channel);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      countSseConnection(channel);
      const started = process.hrtime.bigint();
      await feed.subscribe(res, lastEventId);
      observeRequest('GET', request.routeOptions.url ?? '', 200, Number(process.hrtime.bigint() - started) / 1e9);
    },
  );

  app.get('/healthz', { schema: { tags: TAGS.operations, summary: 'Liveness: the process serves' } }, async (_request, reply) =>
    reply.type('text/plain').send('ok\n'),
  );

  app.get(
    '/readyz',
    { schema: { tags: TAGS.operations, summary: 'Readiness: the canonical store and Redis answer (503 when not)' } },
    async (_request, reply: FastifyReply) => {
      const check = async (what: string, probe: () => Promise<unknown>) =>
        within(probe(), 2000, what).then(
          () => null,
          (error: Error) => `${what}: ${error.message}`,
        );
      const reasons = (await Promise.all([check('canonical store', () => pool.query('SELECT 1')), check('redis', () => redis.ping())])).filter(
        (r): r is string => r !== null,
      );
      const report: ReadinessReport = { ready: reasons.length === 0, reasons };
      return reply.code(report.ready ? 200 : 503).send(report);
    },
  );

  app.get('/metrics', { schema: { tags: TAGS.operations, summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()),
  );

  app.get('/demo/events', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(demoPage));
}
