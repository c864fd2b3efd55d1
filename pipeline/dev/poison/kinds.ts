/**
 * The poison corpus, by kind: each kind edits real change records (templates.ts) in a few ways
 * (variants), and each variant says what the pipeline must do with its records — dead-letter them
 * with one reason of docs/dead-letters.md, or use them (`usable`: a record the pipeline can
 * legitimately use is not malformed; the corpus keeps its original source position, so using it
 * changes nothing and the oracles show it).
 *
 * Records meant for the merge stage (values the canonical store cannot hold) get a source position
 * far beyond the source's real one, so the merge does attempt them instead of skipping them as stale.
 */
import { randomBytes } from 'node:crypto';
import type avro from 'avsc';
import type { DeadLetterReason } from '../../src/dead-letter/index.ts';
import { encodeEnvelope, readEnvelope, type EditableEnvelope, type Image, type Template } from './templates.ts';

/** The kinds of malformed record, in report order. */
export const POISON_KINDS = [
  'wrong-magic-byte',
  'truncated-avro',
  'unknown-schema-id',
  'json-garbage',
  'extreme-decimal-scale',
  'huge-value',
  'nan',
  'unsigned-negative',
  'null-key',
  'one-megabyte-value',
  'missing-after',
  'toast-marker',
] as const;

export type PoisonKind = (typeof POISON_KINDS)[number];

/** What the pipeline must do with a record: dead-letter it for `reason`, or use it. */
export type Expected = DeadLetterReason | 'usable';

/** One poison record to produce. */
export interface PoisonRecord {
  topic: string;
  kind: PoisonKind;
  variant: string;
  expected: Expected;
  key: Buffer | null;
  value: Buffer | null;
}

/** Debezium's default `unavailable.value.placeholder` (PostgreSQL unchanged TOAST value). */
const TOAST_PLACEHOLDER = '__debezium_unavailable_value';

/** What a variant may use besides its template. */
export interface CorpusContext {
  /** Avro writer schemas registered for edited values, by `${topic}|${purpose}`; missing when not registered. */
  avroSchemas: Map<string, { id: number; type: avro.Type }>;
  /** Dimension keys (as text) of rows several stock rows of their source resolve through, by `${source}|${dimension}`. */
  referencedKeys: Map<string, Set<string>>;
}

/** One way of making a kind's records. */
export interface Variant {
  name: string;
  expected: Expected;
  applies(t: Template, ctx: CorpusContext): boolean;
  make(t: Template, i: number, ctx: CorpusContext): { key: Buffer | null; value: Buffer | null };
}

// ---------------------------------------------------------------------------------------------
// Columns of a template, by the role the mapping gives them

/** The quantity columns of a stock table (on hand, reserved, safety quantity). */
function quantityColumns(t: Template): string[] {
  if (t.role.role !== 'stock') return [];
  return [t.role.spec.quantity.column, ...(t.role.spec.reserved ? [t.role.spec.reserved.column] : [])];
}

/** Columns that reference dimensions (sku, location) of a stock table. */
function referenceColumns(t: Template): string[] {
  if (t.role.role !== 'stock') return [];
  return [t.role.spec.sku.column, t.role.spec.location.column].filter((c): c is string => typeof c === 'string');
}

/** The lookup and filter columns the mapping reads of a dimension (not its key). */
function dimensionColumns(t: Template): { lookup: string[]; filter: string[] } {
  if (t.role.role !== 'dimension') return { lookup: [], filter: [] };
  const lookup = new Set<string>();
  const filter = new Set<string>();
  for (const table of Object.values(t.role.mapping.tables)) {
    for (const ref of [table.sku, table.location]) {
      const l = (ref as { lookup?: { dimension: string; field: string; where?: Record<string, unknown> } }).lookup;
      if (!l || l.dimension !== (t.role as { dimension: string }).dimension) continue;
      lookup.add(l.field);
      for (const c of Object.keys(l.where ?? {})) filter.add(c);
    }
  }
  const key = t.role.key;
  return { lookup: [...lookup].filter((c) => c !== key), filter: [...filter].filter((c) => c !== key) };
}

/** The row key columns: a stock table's `row_key`, a dimension's `key`. */
function keyColumns(t: Template): string[] {
  return t.role.role === 'stock' ? t.role.spec.row_key : [t.role.key];
}

/** A text row key column that references no dimension (so a new value names another row, nothing else). */
function plainKeyColumn(t: Template): string | undefined {
  return keyColumns(t).find((c) => isString(t, c) && !referenceColumns(t).includes(c));
}

/** The after image of a fresh copy of the template. */
const after = (e: EditableEnvelope): Image => e.payload.after!;

/** The JSON Connect schema of a column of `after` (and `before`), or undefined. */
function jsonField(e: EditableEnvelope, column: string): (Record<string, unknown> & { field: string }) | undefined {
  return e.schema?.fields.find((f) => f.field === 'after')?.fields?.find((f) => f.field === column);
}

/** Replaces a column's JSON Connect schema in `before` and `after`. */
function setJsonField(e: EditableEnvelope, column: string, schema: Record<string, unknown>): void {
  for (const part of e.schema?.fields ?? []) {
    if (part.field !== 'after' && part.field !== 'before') continue;
    part.fields = part.fields?.map((f) => (f.field === column ? { ...schema, field: column } : f));
  }
}

/** The Avro type of a column of the row images (the non-null branch of its union), or undefined. */
function avroField(t: Template, column: string): { type: unknown } | undefined {
  const record = t.valueSchema as { fields?: Array<{ name: string; type: unknown }> };
  // `before` defines the row record and `after` names it, or the other way round.
  for (const image of record.fields?.filter((f) => f.name === 'before' || f.name === 'after') ?? []) {
    const branches = Array.isArray(image.type) ? image.type : [image.type];
    const row = branches.find((b) => typeof b === 'object' && b !== null) as { fields?: Array<{ name: string; type: unknown }> } | undefined;
    const field = row?.fields?.find((f) => f.name === column);
    if (field) return { type: Array.isArray(field.type) ? field.type.find((b) => b !== 'null') : field.type };
  }
  return undefined;
}

const isAvroKind = (t: Template, column: string, kind: string): boolean => {
  const type = avroField(t, column)?.type;
  return type === kind || (typeof type === 'object' && type !== null && (type as { type?: string }).type === kind);
};

const isString = (t: Template, column: string): boolean =>
  t.format === 'json' ? jsonField(readEnvelope(t), column)?.type === 'string' : isAvroKind(t, column, 'string');

/** A source position far beyond the source's real one (so the merge attempts the change). */
function futurePosition(e: EditableEnvelope, i: number): void {
  const source = e.payload.source;
  if (source.lsn !== undefined && source.lsn !== null) {
    source.lsn = typeof source.lsn === 'bigint' ? 2n ** 52n + BigInt(i) : 2 ** 52 + i;
    return;
  }
  if (typeof source.file === 'string') {
    source.file = source.file.replace(/\.\d+$/, '.999999');
    source.pos = typeof source.pos === 'bigint' ? BigInt(i) : i;
  }
}

/**
 * A code of about `length` characters for a dimension row's lookup column that the source's mapping
 * still accepts: a location code matches one of the source's `locations` patterns (a location
 * renamed out of them is legitimately no longer the source's, not a value the store cannot hold).
 * @returns undefined for a location dimension whose patterns have no `*`.
 */
function hugeCode(t: Template, length: number): string | undefined {
  if (t.role.role !== 'dimension') return undefined;
  const dimension = t.role.dimension;
  const isLocation = Object.values(t.role.mapping.tables).some(
    (table) => (table.location as { lookup?: { dimension: string } }).lookup?.dimension === dimension,
  );
  if (!isLocation) return incompressible(length);
  const pattern = t.role.mapping.locations?.find((p) => p.includes('*'));
  return pattern?.replace('*', incompressible(length));
}

/** `length` characters that do not compress (so no index entry can hold them). */
const incompressible = (length: number): string =>
  randomBytes(Math.ceil((length * 3) / 4) + 3)
    .toString('base64url')
    .slice(0, length);

/** An edited copy of the template's value, encoded with `schema` (an edited Avro writer schema) when given. */
function edited(t: Template, edit: (e: EditableEnvelope) => void, schema?: { id: number; type: avro.Type }): Buffer {
  const e = readEnvelope(t);
  edit(e);
  return encodeEnvelope(t, e, schema);
}

const withKey = (t: Template, value: Buffer | null, key: Buffer | null = t.record.key) => ({ key, value });

/** The record with Debezium's unavailable-value placeholder in `column` of its `after` image. */
const placeholderIn = (t: Template, column: string): Buffer => edited(t, (e) => void (after(e)[column] = TOAST_PLACEHOLDER));

/** Text that is not JSON (RFC 8259), of several shapes. */
const GARBAGE = ['{"schema":', '}{', 'NaN', '{"payload":{"op":"c","after":{"quantity":1,}}}', "{'op': 'c'}", '\u0000\u0001garbage', 'undefined', '[1, 2'];

// ---------------------------------------------------------------------------------------------
// The kinds

const avroOnly = (t: Template) => t.format === 'avro';
const jsonOnly = (t: Template) => t.format === 'json';

const VARIANTS: Record<PoisonKind, Variant[]> = {
  'wrong-magic-byte': [
    {
      name: 'value magic byte not 0',
      expected: 'bad-magic-byte',
      applies: avroOnly,
      make: (t, i) => {
        const value = Buffer.from(t.record.value!);
        value[0] = 1 + (i % 255);
        return withKey(t, value);
      },
    },
    {
      name: 'key magic byte not 0',
      expected: 'bad-magic-byte',
      applies: avroOnly,
      make: (t, i) => {
        const key = Buffer.from(t.record.key!);
        key[0] = 1 + (i % 255);
        return withKey(t, t.record.value, key);
      },
    },
  ],
  'truncated-avro': [
    {
      name: 'body cut short',
      expected: 'truncated',
      applies: avroOnly,
      make: (t, i) => withKey(t, t.record.value!.subarray(0, 5 + (i % (t.record.value!.length - 5)))),
    },
    {
      name: 'header shorter than 5 bytes',
      expected: 'truncated',
      applies: avroOnly,
      make: (t, i) => withKey(t, t.record.value!.subarray(0, i % 5)),
    },
  ],
  'unknown-schema-id': [
    {
      name: 'value schema id not in the registry',
      expected: 'unknown-schema-id',
      applies: avroOnly,
      make: (t, i) => {
        const value = Buffer.from(t.record.value!);
        value.writeInt32BE(1_900_000_000 + (i % 100_000), 1);
        return withKey(t, value);
      },
    },
    {
      name: 'key schema id not in the registry',
      expected: 'unknown-schema-id',
      applies: avroOnly,
      make: (t, i) => {
        const key = Buffer.from(t.record.key!);
        key.writeInt32BE(1_900_000_000 + (i % 100_000), 1);
        return withKey(t, t.record.value, key);
      },
    },
  ],
  'json-garbage': [
    {
      name: 'value not JSON',
      expected: 'invalid-json',
      applies: jsonOnly,
      make: (t, i) => withKey(t, Buffer.from(GARBAGE[i % GARBAGE.length]!)),
    },
    {
      name: 'value cut short',
      expected: 'invalid-json',
      applies: jsonOnly,
      make: (t, i) => withKey(t, t.record.value!.subarray(0, 1 + (i % (t.record.value!.length - 1)))),
    },
    {
      name: 'key not JSON',
      expected: 'invalid-json',
      applies: jsonOnly,
      make: (t, i) => withKey(t, t.record.value, Buffer.from(GARBAGE[i % GARBAGE.length]!)),
    },
    {
      name: 'JSON on an Avro topic',
      expected: 'bad-magic-byte',
      applies: avroOnly,
      make: (t, i) => withKey(t, Buffer.from(`{"payload":{"op":"c","after":{"id":${i}}}}`)),
    },
  ],
  'extreme-decimal-scale': [
    ...[2 ** 31 - 1, -(2 ** 31), -200_000].map(
      (scale): Variant => ({
        name: `VariableScaleDecimal scale ${scale}`,
        expected: 'decimal-out-of-range',
        applies: (t) => jsonOnly(t) && quantityColumns(t).length > 0,
        make: (t, i) =>
          withKey(
            t,
            edited(t, (e) => {
              const column = quantityColumns(t)[i % quantityColumns(t).length]!;
              setJsonField(e, column, {
                type: 'struct',
                optional: false,
                name: 'io.debezium.data.VariableScaleDecimal',
                version: 1,
                fields: [
                  { type: 'int32', optional: false, field: 'scale' },
                  { type: 'bytes', optional: false, field: 'value' },
                ],
              });
              after(e)[column] = { scale, value: Buffer.from([0x01]).toString('base64') };
            }),
          ),
      }),
    ),
    {
      name: 'Decimal scale parameter "2147483647"',
      expected: 'decimal-out-of-range',
      applies: (t) => jsonOnly(t) && quantityColumns(t).length > 0,
      make: (t, i) =>
        withKey(
          t,
          edited(t, (e) => {
            const column = quantityColumns(t)[i % quantityColumns(t).length]!;
            setJsonField(e, column, {
              type: 'bytes',
              optional: false,
              name: 'org.apache.kafka.connect.data.Decimal',
              version: 1,
              parameters: { scale: '2147483647' },
            });
            after(e)[column] = Buffer.from([0x01]).toString('base64');
          }),
        ),
    },
    {
      name: 'Avro Decimal scale parameter "2147483647"',
      expected: 'decimal-out-of-range',
      applies: (t, ctx) => avroOnly(t) && ctx.avroSchemas.has(`${t.topic}|decimal-scale`),
      make: (t, _i, ctx) =>
        withKey(
          t,
          edited(
            t,
            (e) => {
              after(e)[poisonColumn(t)!] = Buffer.from([0x01]);
            },
            ctx.avroSchemas.get(`${t.topic}|decimal-scale`),
          ),
        ),
    },
  ],
  'huge-value': [
    {
      name: '100,000-character code of a dimension row in use (5+ stock rows)',
      expected: 'merge-rejected',
      applies: (t, ctx) => referencedDimension(t, ctx) && hugeCode(t, 1) !== undefined,
      make: (t, i) =>
        withKey(
          t,
          edited(t, (e) => {
            after(e)[dimensionColumns(t).lookup[0]!] = hugeCode(t, 100_000);
            futurePosition(e, i);
          }),
        ),
    },
    {
      name: '100,000-character row key of a stock row',
      expected: 'merge-rejected',
      applies: (t) => t.role.role === 'stock' && plainKeyColumn(t) !== undefined,
      make: (t, i) =>
        withKey(
          t,
          edited(t, (e) => {
            after(e)[plainKeyColumn(t)!] = incompressible(100_000);
            futurePosition(e, i);
          }),
          // The key names the row too: a key that disagrees with the image is another defect.
          null,
        ),
    },
  ],
  nan: [
    ...[Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(
      (n): Variant => ({
        name: `double quantity ${n}`,
        expected: 'bad-quantity',
        applies: (t) => avroOnly(t) && quantityColumns(t).some((c) => isAvroKind(t, c, 'double')),
        make: (t) =>
          withKey(
            t,
            edited(t, (e) => {
              after(e)[quantityColumns(t).find((c) => isAvroKind(t, c, 'double'))!] = n;
            }),
          ),
      }),
    ),
    {
      name: 'NaN literal in a JSON quantity',
      expected: 'invalid-json',
      applies: (t) => jsonOnly(t) && quantityColumns(t).length > 0,
      make: (t) => {
        const e = readEnvelope(t);
        after(e)[quantityColumns(t)[0]!] = '@@NAN@@';
        return withKey(t, Buffer.from(encodeEnvelope(t, e).toString('utf8').replace('"@@NAN@@"', 'NaN')));
      },
    },
  ],
  'unsigned-negative': [
    {
      name: 'negative int64 in a BIGINT UNSIGNED quantity (JSON)',
      expected: 'unsigned-overflow',
      applies: (t) => jsonOnly(t) && quantityColumns(t).length > 0,
      make: (t, i) =>
        withKey(
          t,
          edited(t, (e) => {
            const column = quantityColumns(t)[0]!;
            setJsonField(e, column, { type: 'int64', optional: false, parameters: { '__debezium.source.column.type': 'BIGINT UNSIGNED' } });
            after(e)[column] = -1 - i;
          }),
        ),
    },
    {
      name: 'negative long in a BIGINT UNSIGNED quantity (Avro)',
      expected: 'unsigned-overflow',
      applies: (t, ctx) => avroOnly(t) && ctx.avroSchemas.has(`${t.topic}|unsigned`),
      make: (t, i, ctx) =>
        withKey(
          t,
          edited(
            t,
            (e) => {
              after(e)[poisonColumn(t)!] = -1n - BigInt(i);
            },
            ctx.avroSchemas.get(`${t.topic}|unsigned`),
          ),
        ),
    },
  ],
  'null-key': [
    {
      name: 'null key, the row image names the row',
      expected: 'usable',
      applies: () => true,
      make: (t) => withKey(t, t.record.value, null),
    },
  ],
  'one-megabyte-value': [
    {
      name: '1 MB of text on a JSON topic',
      expected: 'invalid-json',
      applies: jsonOnly,
      make: (t) => withKey(t, Buffer.from(`{"payload":"${incompressible(1_000_000 - 14)}`)),
    },
    {
      name: '1 MB of JSON on an Avro topic',
      expected: 'bad-magic-byte',
      applies: avroOnly,
      make: (t) => withKey(t, Buffer.from(`{"payload":"${incompressible(1_000_000 - 15)}"}`)),
    },
    {
      name: '1 MB code of a dimension row in use (5+ stock rows)',
      expected: 'merge-rejected',
      applies: (t, ctx) => referencedDimension(t, ctx) && hugeCode(t, 1) !== undefined,
      make: (t, i) =>
        withKey(
          t,
          edited(t, (e) => {
            after(e)[dimensionColumns(t).lookup[0]!] = hugeCode(t, 1_000_000 - t.record.value!.length - 64);
            futurePosition(e, i);
          }),
        ),
    },
  ],
  'missing-after': [
    ...(['c', 'u', 'r'] as const).map(
      (op): Variant => ({
        name: `op ${op} without after`,
        expected: 'no-after',
        applies: () => true,
        make: (t) =>
          withKey(
            t,
            edited(t, (e) => {
              e.payload.op = op;
              e.payload.after = null;
            }),
          ),
      }),
    ),
  ],
  'toast-marker': [
    {
      name: 'in a quantity column (Decimal bytes)',
      expected: 'unchanged-quantity',
      applies: (t) => quantityColumns(t).some((c) => placeholderFor(t, c) !== undefined),
      make: (t) =>
        withKey(
          t,
          edited(t, (e) => {
            const column = quantityColumns(t).find((c) => placeholderFor(t, c) !== undefined)!;
            after(e)[column] = placeholderFor(t, column);
          }),
        ),
    },
    {
      name: 'in a NUMERIC(p,s) quantity column (Decimal bytes, JSON)',
      expected: 'unchanged-quantity',
      applies: (t) => jsonOnly(t) && quantityColumns(t).length > 0,
      make: (t) =>
        withKey(
          t,
          edited(t, (e) => {
            const column = quantityColumns(t)[0]!;
            setJsonField(e, column, { type: 'bytes', optional: false, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '4' } });
            after(e)[column] = Buffer.from(TOAST_PLACEHOLDER).toString('base64');
          }),
        ),
    },
    {
      name: 'in a sku or location column (text)',
      expected: 'usable',
      applies: (t) => referenceColumns(t).some((c) => isString(t, c)),
      make: (t) => withKey(t, placeholderIn(t, referenceColumns(t).find((c) => isString(t, c))!)),
    },
    {
      name: 'in a sku or location column (integer: Debezium never writes one there)',
      expected: 'schema-mismatch',
      applies: (t) => jsonOnly(t) && referenceColumns(t).some((c) => !isString(t, c)),
      make: (t) => withKey(t, placeholderIn(t, referenceColumns(t).find((c) => !isString(t, c))!)),
    },
    {
      name: 'in a row key column, the record key names the row',
      expected: 'usable',
      applies: (t) => keyColumns(t).some((c) => isString(t, c)),
      make: (t) => withKey(t, placeholderIn(t, keyColumns(t).find((c) => isString(t, c))!)),
    },
    {
      name: 'in a row key column, no record key',
      expected: 'missing-key',
      applies: (t) => keyColumns(t).some((c) => isString(t, c)),
      make: (t) => withKey(t, placeholderIn(t, keyColumns(t).find((c) => isString(t, c))!), null),
    },
    {
      name: "in a dimension's lookup column",
      expected: 'usable',
      applies: (t) => dimensionColumns(t).lookup.some((c) => isString(t, c)),
      make: (t) => withKey(t, placeholderIn(t, dimensionColumns(t).lookup.find((c) => isString(t, c))!)),
    },
    {
      name: "in a dimension's filter column",
      expected: 'usable',
      applies: (t) => dimensionColumns(t).filter.some((c) => isString(t, c)),
      make: (t) => withKey(t, placeholderIn(t, dimensionColumns(t).filter.find((c) => isString(t, c))!)),
    },
  ],
};

/** The placeholder as Debezium writes it for a bytes column (Decimal), or undefined for other types. */
function placeholderFor(t: Template, column: string): unknown {
  if (t.format === 'json') {
    const field = jsonField(readEnvelope(t), column);
    return field?.type === 'bytes' ? Buffer.from(TOAST_PLACEHOLDER).toString('base64') : undefined;
  }
  return isAvroKind(t, column, 'bytes') ? Buffer.from(TOAST_PLACEHOLDER) : undefined;
}

/** The quantity column the edited Avro schemas retype (the first one of the stock table). */
export function poisonColumn(t: Template): string | undefined {
  return quantityColumns(t)[0];
}

function referencedDimension(t: Template, ctx: CorpusContext): boolean {
  if (t.role.role !== 'dimension' || dimensionColumns(t).lookup.length === 0 || !isString(t, dimensionColumns(t).lookup[0]!)) return false;
  const id = after(readEnvelope(t))[t.role.key];
  return ctx.referencedKeys.get(`${t.role.mapping.source}|${t.role.dimension}`)?.has(String(id)) ?? false;
}

/** The variants of a kind that apply to at least one template. */
export function applicableVariants(kind: PoisonKind, templates: Template[], ctx: CorpusContext): Array<{ variant: Variant; templates: Template[] }> {
  return VARIANTS[kind].map((variant) => ({ variant, templates: templates.filter((t) => variant.applies(t, ctx)) })).filter((v) => v.templates.length > 0);
}

/** Every variant of every kind with its expected outcome, for the report and the docs. */
export function variantCatalogue(): Array<{ kind: PoisonKind; variant: string; expected: Expected }> {
  return POISON_KINDS.flatMap((kind) => VARIANTS[kind].map((v) => ({ kind, variant: v.name, expected: v.expected })));
}

/**
 * The `i`-th record of `kind`: variants take turns, and each variant goes round its templates.
 * @returns null when no variant of the kind applies to any template.
 */
export function makeRecord(kind: PoisonKind, i: number, variants: Array<{ variant: Variant; templates: Template[] }>, ctx: CorpusContext): PoisonRecord | null {
  if (variants.length === 0) return null;
  const { variant, templates } = variants[i % variants.length]!;
  const template = templates[Math.floor(i / variants.length) % templates.length]!;
  const { key, value } = variant.make(template, i, ctx);
  return { topic: template.topic, kind, variant: variant.name, expected: variant.expected, key, value };
}
