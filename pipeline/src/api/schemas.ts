/**
 * The availability API's request and response schemas (TypeBox, JSON Schema 2020-12 compatible):
 * fastify validates requests and serialises responses with them, and @fastify/swagger turns them
 * into the OpenAPI 3.1 document at `/openapi.json`. Quantities of the stock endpoint are exact
 * decimal strings in the SKU's stock unit; available to sell is whole units.
 */
import { Type, type Static } from 'typebox';
import { CHANNEL_PATTERN, SKU_PATTERN, STREAM_ID_PATTERN } from './sku.ts';

/** Most SKUs one batch request may ask for. */
export const MAX_BATCH_SKUS = 1000;

export const Sku = Type.String({ pattern: SKU_PATTERN, description: '1 to 191 characters, no control characters', examples: ['SKU-000042'] });
export const ChannelName = Type.String({ pattern: CHANNEL_PATTERN, description: 'a channel of schemas/channels/channels.yaml', examples: ['webshop'] });

export const ChannelParams = Type.Object({ channel: ChannelName });
export const ChannelSkuParams = Type.Object({ channel: ChannelName, sku: Sku });
export const SkuParams = Type.Object({ sku: Sku });

export const Availability = Type.Object(
  {
    sku: Type.String(),
    channel: Type.String(),
    quantity: Type.Integer({ minimum: 0, description: 'available to sell on the channel, whole units' }),
    version: Type.Integer({ minimum: 0, description: "sum of the canonical versions at the channel's locations (only grows); 0 without stock rows" }),
    canonicalVersions: Type.Record(Type.String(), Type.Integer(), { description: 'the canonical version of each location the channel sells from' }),
  },
  { description: 'available to sell of one SKU on one channel (docs/channels.md)' },
);
export type AvailabilityBody = Static<typeof Availability>;

export const BatchRequest = Type.Object(
  {
    skus: Type.Array(Sku, { minItems: 1, maxItems: MAX_BATCH_SKUS, description: `1 to ${MAX_BATCH_SKUS} SKUs` }),
  },
  { additionalProperties: false },
);
export const BatchResponse = Type.Object({
  channel: Type.String(),
  items: Type.Array(Availability, { description: 'one per SKU asked for, in the order asked' }),
});

const Decimal = (description: string) => Type.String({ description: `${description}, exact decimal string in the SKU's stock unit`, examples: ['12.5'] });

export const StockLocation = Type.Object({
  location: Type.String(),
  onHand: Decimal('on hand'),
  reserved: Decimal('reserved'),
  available: Decimal('on hand − reserved'),
  safetyStock: Type.Union([Decimal('safety stock the source states'), Type.Null()]),
  source: Type.String({ description: 'the source (mapping file name) that last changed the row' }),
  sourcePosition: Type.String({ description: 'its position: binlog file:pos#row, or lsn:X/Y' }),
  sourceTsMs: Type.Union([Type.Integer({ description: 'source commit time, ms since epoch' }), Type.Null()]),
  version: Type.Integer({ description: 'canonical version of the row' }),
  updatedAt: Type.String({ format: 'date-time', description: 'when the canonical row was written' }),
});
export const StockResponse = Type.Object({ sku: Type.String(), locations: Type.Array(StockLocation) });
export type StockBody = Static<typeof StockResponse>;

export const EventsQuery = Type.Object({
  lastEventId: Type.Optional(Type.String({ pattern: STREAM_ID_PATTERN, description: 'as the Last-Event-ID header, for clients that cannot set it' })),
  key: Type.Optional(Type.String({ description: "the API key, for the browser's EventSource (which cannot send headers)" })),
});
export const EventsHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ pattern: STREAM_ID_PATTERN, description: 'resume after this event id (a Redis stream id)' })),
});

export const Problem = Type.Object(
  {
    type: Type.String({ examples: ['urn:stocksync:problem:invalid-sku'] }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.String())),
  },
  { description: 'RFC 9457 problem details (application/problem+json)' },
);

/** OpenAPI responses of a problem status. */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});

/** The problem responses every authenticated route may give. */
export const commonProblems = {
  400: problemResponse('invalid input: the body says which field and why'),
  401: problemResponse('no API key, or an unknown one'),
  403: problemResponse('the key may not read this'),
  404: problemResponse('unknown channel or SKU'),
  429: problemResponse('rate limit of the key exceeded; Retry-After says when to try again'),
  503: problemResponse('the canonical store or Redis is unreachable'),
};
