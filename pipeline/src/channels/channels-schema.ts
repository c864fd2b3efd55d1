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
    alerts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How `stocksync alerts run` detects anomalies and stockout risk (docs/alerts.md). Low stock thresholds are per channel (low_stock).',
      properties: {
        anomaly: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            "A change of a (sku, location)'s on hand is an anomaly when it is further than `threshold_mads` scaled MADs (1.4826 × median absolute deviation, at least `min_units`) from the median of its last `window` changes, once it has at least `min_samples`.",
          properties: {
            window: { type: 'integer', minimum: 3, maximum: 1000, default: 30 },
            min_samples: { type: 'integer', minimum: 3, default: 10 },
            threshold_mads: { type: 'number', exclusiveMinimum: 0, default: 6 },
            min_units: {
              type: 'number',
              exclusiveMinimum: 0,
              default: 5,
              description: 'The smallest deviation from the median that can be an anomaly, in units.',
            },
          },
        },
        stockout: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            'Stockout risk: sales velocity per (sku, location) as an exponentially weighted rate of the decreases of on hand (half-life `half_life_hours`); raised when available / velocity is under `cover_days` days, once at least `min_sales` decreases were seen; cleared when above.',
          properties: {
            half_life_hours: { type: 'number', exclusiveMinimum: 0, default: 72 },
            cover_days: { type: 'number', exclusiveMinimum: 0, default: 3 },
            min_sales: { type: 'integer', minimum: 1, default: 5 },
          },
        },
      },
    },
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
        low_stock: {
          type: 'object',
          additionalProperties: false,
          description:
            'Low stock alerts: raised once when available to sell on this channel falls to the threshold or below, cleared once when it rises above. The threshold of a SKU is its entry in `skus`, else the first pattern of `patterns` it matches (`*` = any run of characters), else `default` (null: no alert).',
          default: {},
          properties: {
            default: { oneOf: [{ $ref: '#/definitions/quantity' }, { type: 'null' }], default: null },
            skus: { type: 'object', default: {}, additionalProperties: { $ref: '#/definitions/quantity' } },
            patterns: { type: 'object', default: {}, additionalProperties: { $ref: '#/definitions/quantity' } },
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
