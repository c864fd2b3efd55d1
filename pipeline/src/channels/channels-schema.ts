/**
 * The JSON Schema (draft-07) of the channels file, as a TypeScript constant: the one definition.
 * The loader validates with it (ajv, `useDefaults`: every `default` here is filled in), the file's
 * type is derived from it (json-schema-to-ts `FromSchema`), and `schemas/channels/channels.schema.json`
 * (for editors and readers) is written from it: `npx tsx pipeline/dev/write-json-schemas.ts`; a unit
 * test checks the shipped file is current.
 */
export const channelsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://stocksync.dev/schemas/channels.json',
  title: 'stocksync channel rules',
  description:
    'Which locations each sales channel may sell from, and how available to sell is derived from the canonical stock. Documented in docs/channels.md.',
  type: 'object',
  additionalProperties: false,
  required: ['channels'],
  properties: {
    channels: {
      type: 'object',
      minProperties: 1,
      description: 'Channels by name. The name is used in consumer group ids, Redis keys and streams.',
      propertyNames: { pattern: '^[a-z][a-z0-9_]{0,39}$' },
      additionalProperties: { $ref: '#/definitions/channel' },
    },
  },
  definitions: {
    quantity: {
      description: 'A non-negative quantity in stock units: a number or an exact decimal string such as "2.5".',
      oneOf: [
        { type: 'number', minimum: 0 },
        { type: 'string', pattern: '^\\d+(\\.\\d+)?$' },
      ],
    },
    channel: {
      type: 'object',
      additionalProperties: false,
      required: ['store', 'locations'],
      properties: {
        description: { type: 'string' },
        store: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'endpoint'],
          description: 'The channel database the quantities are written to.',
          properties: {
            kind: {
              enum: ['mariadb', 'postgres'],
              description: 'mariadb (also MySQL; written through mysql2) or postgres (written through pg).',
            },
            endpoint: {
              type: 'string',
              pattern: '^[a-z][a-z0-9_]*$',
              description:
                'Endpoint name: host, port, user, password and database come from STOCKSYNC_<ENDPOINT>_HOST/_PORT/_USER/_PASSWORD/_DATABASE (see docs/channels.md for the defaults).',
            },
            table: {
              type: 'string',
              pattern: '^[a-z_][a-z0-9_]{0,62}$',
              default: 'channel_stock',
              description: 'Table holding one row per SKU (created if missing).',
            },
          },
        },
        locations: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', minLength: 1 },
          description: "Canonical location codes whose stock this channel may sell; '*' matches any run of characters.",
        },
        safety_stock: {
          type: 'object',
          additionalProperties: false,
          description: 'Units kept back from sale at each location, per SKU.',
          default: {},
          properties: {
            from_source: {
              type: 'boolean',
              default: true,
              description: 'Use the canonical safety_stock of the (sku, location) when the source states one.',
            },
            by_location: {
              type: 'object',
              description: 'Per location code: the safety stock when the source states none (or from_source is false).',
              default: {},
              additionalProperties: { $ref: '#/definitions/quantity' },
            },
            default: {
              $ref: '#/definitions/quantity',
              default: 0,
              description: 'Safety stock for any other location when the source states none.',
            },
          },
        },
        buffer: {
          type: 'object',
          additionalProperties: false,
          description: 'Held back from the channel after summing the locations: either units or percent, not both.',
          properties: {
            units: { $ref: '#/definitions/quantity' },
            percent: {
              oneOf: [
                { type: 'number', minimum: 0, maximum: 100 },
                { type: 'string', pattern: '^(100(\\.0+)?|\\d{1,2}(\\.\\d+)?)$' },
              ],
            },
          },
          oneOf: [{ required: ['units'] }, { required: ['percent'] }],
        },
        cap: {
          oneOf: [{ $ref: '#/definitions/quantity' }, { type: 'null' }],
          default: null,
          description: 'At most this many units are exposed to the channel (null: no cap).',
        },
        rate_limit: {
          type: 'object',
          additionalProperties: false,
          required: ['requests_per_second'],
          description:
            'Rate limit of requests to the channel database, held in Redis so that it is shared by every channels run: requests_per_second on average, up to burst at once.',
          default: { requests_per_second: 5 },
          properties: {
            requests_per_second: { type: 'number', exclusiveMinimum: 0 },
            burst: {
              type: 'integer',
              minimum: 1,
              description: 'Requests at once (when absent: twice requests_per_second rounded up, so it depends on the rate).',
            },
          },
        },
        batch_size: {
          type: 'integer',
          minimum: 1,
          maximum: 5000,
          default: 500,
          description: 'At most this many SKUs per write request.',
        },
      },
    },
  },
} as const;
