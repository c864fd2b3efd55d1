/**
 * The JSON Schema (draft-07) of source mapping files, as a TypeScript constant: the one definition.
 * The loader validates with it (ajv, `useDefaults`: every `default` here is filled in), the mapping
 * types are derived from it (json-schema-to-ts `FromSchema`), and `schemas/sources/mapping.schema.json`
 * (for editors and readers) is written from it: `npx tsx pipeline/dev/write-json-schemas.ts`; a unit
 * test checks the shipped file is current.
 */
/**
 * `on_truncate` of a dimension or stock table. No `default`: an absent policy acts as `quarantine`
 * but its dead letter says that no policy is configured (decode/truncate.ts `truncateAction`).
 */
const onTruncate = {
  enum: ['quarantine', 'ignore', 'delete-rows'],
  description:
    "What a TRUNCATE of this table does (captured when the connector's skipped.operations lets `t` through): quarantine (default; dead-lettered, change nothing), ignore, or delete-rows (every stored row of the table whose source position is before the truncate's counts no more). See docs/decoding.md.",
} as const;

export const mappingSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://stocksync.dev/schemas/source-mapping.json',
  title: 'stocksync source mapping',
  description: "How one source database's CDC topics become canonical stock changes. Documented in docs/sources.md.",
  type: 'object',
  additionalProperties: false,
  required: ['source', 'topic_prefix', 'format', 'locations'],
  properties: {
    source: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_-]*$',
      description: 'Source name, recorded on every canonical row it changes.',
    },
    description: { type: 'string' },
    connector: {
      type: 'string',
      description: 'Name of the Debezium connector (connectors/debezium) that captures this source.',
    },
    topic_prefix: {
      type: 'string',
      // A Kafka topic name's characters: the prefix also names the source database or schema in SQL (docs/design.md invariant 8).
      pattern: '^[a-zA-Z0-9._-]+$',
      description:
        "Topics are <topic_prefix>.<table>, e.g. pos.pos for pos.pos.stockcurrent: the connector's topic.prefix, a dot, and the database (MariaDB) or schema (PostgreSQL). Letters, digits, '.', '_' and '-' only, as in a Kafka topic name.",
    },
    format: {
      enum: ['avro', 'json'],
      description: 'Converter of the connector: avro (Confluent wire format via the registry) or json (with schemas).',
    },
    locations: {
      type: 'array',
      minItems: 1,
      items: { type: 'string' },
      description:
        "Canonical location codes this source is authoritative for; '*' matches any run of characters. A change for another location is ignored and counted.",
    },
    dimensions: {
      type: 'object',
      description: 'Dimension tables read from their own CDC topics and joined in the pipeline, by name.',
      default: {},
      additionalProperties: { $ref: '#/definitions/dimension' },
    },
    levels: {
      type: 'object',
      minProperties: 1,
      description: 'Tables whose rows hold absolute quantities (levels), by table name. Rows that map to the same (sku, location) are summed.',
      additionalProperties: { $ref: '#/definitions/level' },
    },
    movements: {
      type: 'object',
      minProperties: 1,
      description:
        'Tables whose rows are signed stock movements (deltas), by table name. Each row counts once, by its row identity, however often it is delivered; a cancelled row counts zero.',
      additionalProperties: { $ref: '#/definitions/movement' },
    },
    safety_stock: {
      type: 'object',
      description: 'Tables holding safety stock per product and location (e.g. uniCenta stocklevel.stocksecurity), by table name.',
      default: {},
      additionalProperties: { $ref: '#/definitions/safety' },
    },
    parked_timeout_seconds: {
      type: 'integer',
      minimum: 1,
      default: 300,
      description:
        'How long a stock row may wait for a missing dimension row (e.g. its product) before it is reported to the dead-letter topic with reason dimension-timeout. It stays parked and is applied if the dimension row arrives later.',
    },
  },
  definitions: {
    dimension: {
      type: 'object',
      additionalProperties: false,
      required: ['table', 'key'],
      properties: {
        table: { type: 'string' },
        key: { type: 'string', description: 'Primary key column of the dimension table.' },
        on_truncate: onTruncate,
      },
    },
    code: {
      type: 'object',
      additionalProperties: false,
      required: ['column'],
      description: 'How a SKU or location code is derived from a level row.',
      properties: {
        column: { type: 'string', description: 'Column of the level row holding the source id.' },
        lookup: {
          type: 'object',
          additionalProperties: false,
          required: ['dimension', 'field'],
          properties: {
            dimension: { type: 'string', description: 'A dimension declared under dimensions.' },
            field: { type: 'string', description: 'Column of the dimension row that gives the code.' },
            where: {
              type: 'object',
              additionalProperties: { type: ['string', 'number', 'boolean'] },
              description: 'Only dimension rows with these column values count; rows pointing elsewhere are filtered out (e.g. usage: internal).',
            },
          },
        },
        map: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Constant map applied last: source value -> code. A value missing from the map is an error.',
        },
        if_empty: {
          enum: ['quarantine', 'filter'],
          default: 'quarantine',
          description:
            "What a row whose code comes out empty (NULL or '') means: quarantine (dead-lettered with reason unmapped-code) or filter (the row is deliberately not synced, e.g. Odoo products without an internal reference).",
        },
      },
    },
    quantity: {
      type: 'object',
      additionalProperties: false,
      required: ['column', 'type'],
      properties: {
        column: { type: 'string' },
        type: {
          enum: ['decimal', 'double', 'integer'],
          description: 'decimal: exact (DECIMAL/NUMERIC); double: floating point, rounded by scale; integer.',
        },
        scale: {
          type: 'integer',
          minimum: 0,
          maximum: 12,
          default: 6,
          description: 'For double: round half away from zero to this many decimals, then strip trailing zeros.',
        },
        factor: {
          type: ['number', 'string'],
          pattern: '^[0-9]+(\\.[0-9]+)?$',
          description:
            'Unit conversion: the value is multiplied by this exact factor (e.g. 12 for a column counted in cases of 12 when the stock unit is each).',
        },
        if_null: {
          enum: ['quarantine', 'exclude'],
          default: 'quarantine',
          description:
            'What a NULL value means: quarantine (the record goes to the dead-letter topic, a null quantity is never read as 0) or exclude (the row counts for nothing, e.g. a safety stock that is not set).',
        },
      },
    },
    level: {
      type: 'object',
      additionalProperties: false,
      required: ['row_key', 'sku', 'location', 'on_hand'],
      properties: {
        row_key: {
          type: 'array',
          minItems: 1,
          items: { type: 'string' },
          description: 'Columns that identify a row (the primary key, or message.key.columns).',
        },
        sku: { $ref: '#/definitions/code' },
        location: { $ref: '#/definitions/code' },
        on_hand: { $ref: '#/definitions/quantity' },
        reserved: { $ref: '#/definitions/quantity' },
        where: { $ref: '#/definitions/rowFilter' },
        on_truncate: onTruncate,
      },
    },
    rowFilter: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
      description: 'Only rows with these column values count; other rows are filtered out (kept, not counted).',
    },
    movement: {
      type: 'object',
      additionalProperties: false,
      required: ['row_key', 'sku', 'location', 'delta'],
      properties: {
        row_key: {
          type: 'array',
          minItems: 1,
          items: { type: 'string' },
          description: 'Columns that identify a movement (its primary key): a movement is applied once per identity.',
        },
        sku: { $ref: '#/definitions/code' },
        location: { $ref: '#/definitions/code' },
        delta: {
          $ref: '#/definitions/quantity',
          description: 'Signed change of on hand (negative for sales).',
        },
        cancelled: {
          type: 'object',
          additionalProperties: false,
          required: ['column'],
          properties: {
            column: { type: 'string' },
            value: {
              type: ['string', 'number', 'boolean'],
              description: 'The value that means cancelled (default: any non-zero / true value).',
            },
          },
          description: 'A cancelled movement counts zero (e.g. ERPNext is_cancelled = 1).',
        },
        where: { $ref: '#/definitions/rowFilter' },
        on_truncate: onTruncate,
      },
    },
    safety: {
      type: 'object',
      additionalProperties: false,
      required: ['row_key', 'sku', 'location', 'quantity'],
      properties: {
        row_key: { type: 'array', minItems: 1, items: { type: 'string' } },
        sku: { $ref: '#/definitions/code' },
        location: { $ref: '#/definitions/code' },
        quantity: { $ref: '#/definitions/quantity' },
        where: { $ref: '#/definitions/rowFilter' },
        on_truncate: onTruncate,
      },
    },
  },
  anyOf: [{ required: ['levels'] }, { required: ['movements'] }],
} as const;
