/**
 * `stocksync api`: the availability API for channel apps (docs/api.md). fastify 5 with TypeBox
 * schemas; the OpenAPI 3.1 document they generate is served at `/openapi.json` and as a page at
 * `/docs`. Routes (routes.ts): availability of one SKU (ETag / If-None-Match → 304) and of a batch
 * through the channels' Redis cache-aside reader, per-location stock from the canonical store,
 * Server-Sent Events from the channel streams (event-feed.ts), `/healthz`, `/readyz`, `/metrics`.
 *
 * Every `/v1` request carries an API key (`Authorization: Bearer <key>` or `X-API-Key`; the
 * events route also takes `?key=` for the browser's EventSource) scoped to channels (keys.ts), and
 * is counted against the key's rate limit per minute in Redis (`@fastify/rate-limit`'s Redis
 * store, key `stocksync:api-rate:<key id>`), shared by every instance: over it, 429 with
 * `Retry-After`. Every error is an RFC 9457 problem body (problems.ts).
 */
import type { AddressInfo } from 'node:net';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createAvailabilityReader, loadChannelsConfig, type ChannelsConfig } from '../channels/index.ts';
import { stackEndpoints, type StackEndpoints } from '../config/endpoints.ts';
import { API_RATE_KEY_PREFIX } from '../config/names.ts';
import { collectDefaultMetricsOnce } from '../metrics/server.ts';
import { createChannelFeed, type ChannelFeed } from './event-feed.ts';
import { mayReadChannel, type ApiKey, type ApiKeys } from './keys.ts';
import { observeRequest } from './metrics.ts';
import { ApiProblem, PROBLEM_MEDIA_TYPE } from './problems.ts';
import { registerRoutes } from './routes.ts';
import { MAX_BATCH_SKUS } from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's API key, set by the authentication hook on `/v1` routes. */
    apiKey?: ApiKey;
  }
  interface FastifyContextConfig {
    /** What the route needs: a key for the `channel` path parameter, a key with stock scope, or none (default). */
    auth?: 'channel' | 'stock';
    /** The route also takes the key as `?key=` (the browser's EventSource cannot send headers). */
    keyInQuery?: boolean;
  }
}

/** Options of {@link startApi}. */
export interface ApiOptions {
  keys: ApiKeys;
  /** Listen address (default 127.0.0.1: docs/design.md invariant 8). */
  host?: string;
  /** Port (default 8080; 0 = any free port). */
  port?: number;
  endpoints?: StackEndpoints;
  config?: ChannelsConfig;
  /** Requests per minute of a key that sets none (default 6000). */
  ratePerMinute?: number;
  /** Cache expiry of a filled SKU, seconds (the reader's default 60). */
  ttlSeconds?: number;
  /** Milliseconds between SSE heartbeat comments (default 15 000). */
  heartbeatMs?: number;
  /** fastify's logger (default off); `true` logs requests as JSON lines to stdout. */
  logger?: boolean;
}

/** A running API. */
export interface RunningApi {
  app: FastifyInstance;
  /** `http://host:port` it listens on. */
  url: string;
  close(): Promise<void>;
}

/** The key a request presents, or undefined. */
function presentedKey(request: FastifyRequest, inQuery: boolean): string | undefined {
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  if (inQuery) {
    const key = (request.query as { key?: unknown } | undefined)?.key;
    if (typeof key === 'string') return key;
  }
  return undefined;
}

/** The problem for a fastify error (schema validation, body parsing) or any other error. */
function toProblem(error: FastifyError): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (error.validation) {
    const errors = error.validation.map((v) => `${error.validationContext ?? 'request'}${v.instancePath || ''}: ${v.message ?? v.keyword}`);
    const at = (context: string, path: string) => error.validationContext === context && error.validation?.some((v) => v.instancePath.startsWith(path));
    if (error.validation.some((v) => v.keyword === 'maxItems') && error.validationContext === 'body')
      return new ApiProblem(400, 'batch-too-large', 'Batch too large', `a batch asks for at most ${MAX_BATCH_SKUS} SKUs`, errors);
    if (at('params', '/sku') || at('body', '/skus/'))
      return new ApiProblem(400, 'invalid-sku', 'Invalid SKU', 'a SKU is 1 to 191 characters, none of them a control character', errors);
    if (at('headers', '/last-event-id') || at('querystring', '/lastEventId'))
      return new ApiProblem(400, 'invalid-last-event-id', 'Invalid Last-Event-ID', 'an event id is a Redis stream id <ms>-<seq>', errors);
    if (at('params', '/channel')) return new ApiProblem(404, 'unknown-channel', 'Unknown channel', 'no channel has that name', errors);
    return new ApiProblem(400, 'invalid-request', 'Invalid request', errors.join('; '), errors);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiProblem(400, 'malformed-body', 'Malformed body', `the body is not valid JSON: ${error.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiProblem(413, 'body-too-large', 'Body too large', error.message);
  }
  if (error.statusCode === 429) return new ApiProblem(429, 'rate-limited', 'Too many requests', error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
    return new ApiProblem(error.statusCode, 'invalid-request', 'Invalid request', error.message);
  return new ApiProblem(503, 'unavailable', 'Service unavailable', 'the canonical store or Redis did not answer; try again');
}

/**
 * Starts the API and resolves once it listens.
 * @throws the listen error (port taken), or Redis / the canonical store unreachable for a channel feed.
 */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const config = options.config ?? loadChannelsConfig();
  const redis = new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  const pool = new pg.Pool({ ...endpoints.canonical, max: 8 });
  pool.on('error', () => undefined);
  const reader = createAvailabilityReader({ redis, pool, config, ttlSeconds: options.ttlSeconds });
  const defaultRate = options.ratePerMinute ?? 6000;
  collectDefaultMetricsOnce();

  const app = Fastify({
    logger: options.logger ?? false,
    forceCloseConnections: true,
    bodyLimit: 256 * 1024,
    // A SKU is up to 191 characters, each up to 12 bytes percent-encoded UTF-8 (find-my-way's default is 100).
    routerOptions: { maxParamLength: 4096 },
    ajv: { customOptions: { allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are JSON only: anything else is 415 (fastify would otherwise hand text/plain to the schema as a string).
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply
      .code(problem.status)
      .type(PROBLEM_MEDIA_TYPE)
      .send(JSON.stringify(problem.body(request.url.split('?')[0])));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type(PROBLEM_MEDIA_TYPE)
      .send(
        JSON.stringify(new ApiProblem(404, 'not-found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]} (see /openapi.json)`).body()),
      ),
  );
  app.addHook('onResponse', async (request, reply) => {
    observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  // Authentication and scope, before the rate limit (which counts per key).
  app.addHook('onRequest', async (request) => {
    const need = request.routeOptions.config?.auth;
    if (!need) return;
    const secret = presentedKey(request, request.routeOptions.config?.keyInQuery === true);
    if (!secret) throw new ApiProblem(401, 'unauthenticated', 'API key required', 'send the key as Authorization: Bearer <key> or X-API-Key');
    const key = options.keys.find(secret);
    if (!key) throw new ApiProblem(401, 'unauthenticated', 'Unknown API key', 'the key is not one of the keys this API was started with');
    request.apiKey = key;
    if (need === 'stock' && !key.stock) throw new ApiProblem(403, 'forbidden', 'Forbidden', `key "${key.id}" may not read per-location stock`);
    if (need === 'channel') {
      const channel = (request.params as { channel?: string }).channel ?? '';
      if (!config.channels.some((c) => c.name === channel))
        throw new ApiProblem(404, 'unknown-channel', 'Unknown channel', `no channel "${channel}" (channels: ${config.channels.map((c) => c.name).join(', ')})`);
      if (!mayReadChannel(key, channel)) throw new ApiProblem(403, 'forbidden', 'Forbidden', `key "${key.id}" may not read channel "${channel}"`);
    }
  });

  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preHandler',
    redis,
    nameSpace: API_RATE_KEY_PREFIX,
    timeWindow: 60_000,
    max: (request: FastifyRequest) => request.apiKey?.ratePerMinute ?? defaultRate,
    keyGenerator: (request: FastifyRequest) => request.apiKey?.id ?? `ip:${request.ip}`,
    allowList: (request: FastifyRequest) => !request.routeOptions.config?.auth,
    errorResponseBuilder: (request, context) =>
      new ApiProblem(
        429,
        'rate-limited',
        'Too many requests',
        `key "${request.apiKey?.id}" may make ${context.max} requests per minute; try again in ${context.after}`,
      ),
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'stocksync availability API',
        version: '1.0.0',
        description: 'Available to sell per channel, per-location stock and live changes (Server-Sent Events). docs/api.md',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API key (npx stocksync api key)' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const feeds = new Map<string, Promise<ChannelFeed>>();
  const feedOf = (channel: string): Promise<ChannelFeed> => {
    let feed = feeds.get(channel);
    if (!feed) {
      feed = createChannelFeed({
        channel,
        reader: redis.duplicate({ enableAutoPipelining: false }),
        redis,
        heartbeatMs: options.heartbeatMs,
        onError: (error) => app.log.warn({ err: error, channel }, 'channel feed read failed; retrying'),
      });
      feeds.set(channel, feed);
      feed.catch(() => feeds.delete(channel));
    }
    return feed;
  };

  registerRoutes(app, { reader, pool, redis, config, feedOf });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.addHook('onClose', async () => {
    for (const feed of feeds.values()) await (await feed.catch(() => undefined))?.close();
    await reader.close();
    redis.disconnect();
    await pool.end();
  });

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  const address = app.server.address() as AddressInfo;
  // Each channel's feed starts at its stream's end now (a later request retries one that failed).
  for (const c of config.channels) void feedOf(c.name).catch(() => undefined);
  return {
    app,
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    close: () => app.close(),
  };
}
