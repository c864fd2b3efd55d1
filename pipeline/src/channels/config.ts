/**
 * Channel rules (`schemas/channels/channels.yaml`): for each sales channel, the locations it may
 * sell from, the safety stock, buffer and cap rules, its channel database and rate limit. The file
 * is validated against the channels JSON Schema (channels-schema.ts; shipped as
 * `schemas/channels/channels.schema.json`), which also gives the defaults and the raw file's type,
 * plus cross-checks, and every error names file:line:column.
 */
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { describeSchemaError, errorPath, FileProblemsError, parseYamlFile, schemaValidator, type FileProblem } from '../config/yaml-file.ts';
import { matchesLocation, patternsOverlap } from '../config/location-patterns.ts';
import {
  channelDatabaseDefaults,
  databaseEndpoint,
  endpointKind,
  stackEndpoints,
  type DatabaseEndpoint,
  type Environment,
  type StackEndpoints,
} from '../config/endpoints.ts';
import { normalizeDecimal } from '../decimal/index.ts';
import { projectRoot } from '../config/project-root.ts';
import { channelsSchema } from './channels-schema.ts';

export const channelsDir = path.join(projectRoot, 'schemas', 'channels');
export const defaultChannelsFile = path.join(channelsDir, 'channels.yaml');

/** Where a channel's rows are written. */
export interface ChannelStoreConfig {
  kind: 'mariadb' | 'postgres';
  /** Endpoint name, resolved from STOCKSYNC_<ENDPOINT>_* (see {@link channelEndpoint}). */
  endpoint: string;
  table: string;
}

/** One channel's rules, with every quantity as a canonical decimal string. */
export interface ChannelRule {
  name: string;
  description?: string;
  store: ChannelStoreConfig;
  /** Location code patterns (`*` = any run). */
  locations: string[];
  safetyStock: {
    fromSource: boolean;
    byLocation: Record<string, string>;
    default: string;
  };
  /** Units or percent held back after summing the locations; null = none. */
  buffer: { units: string } | { percent: string } | null;
  /** Maximum exposed units; null = no cap. */
  cap: string | null;
  rateLimit: { requestsPerSecond: number; burst: number };
  batchSize: number;
  /** Low stock thresholds (available to sell, units): per SKU, by SKU pattern in file order, default (null: none). */
  lowStock: { skus: Record<string, string>; patterns: Array<[string, string]>; default: string | null };
}

/** Alert detection settings (`alerts:` of the channels file; defaults from the schema). */
export interface AlertSettings {
  anomaly: { window: number; minSamples: number; thresholdMads: number; minUnits: number };
  stockout: { halfLifeHours: number; coverDays: number; minSales: number };
}

export interface ChannelsConfig {
  channels: ChannelRule[];
  alerts: AlertSettings;
  file: string;
}

/** One problem in a channels file, with its place. */
export type ChannelsProblem = FileProblem;

/** Thrown by {@link loadChannelsConfig} with every problem found, as file:line:column lines. */
export class ChannelsConfigError extends FileProblemsError {}

const validate = schemaValidator(channelsSchema);

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(top level)';
  switch (error.keyword) {
    case 'propertyNames':
      return `${where}: channel name ${JSON.stringify(error.params.propertyName)} must be lower case letters, digits and _ (at most 40), starting with a letter`;
    case 'oneOf':
      return where.endsWith('/buffer')
        ? `${where}: give exactly one of "units" or "percent"`
        : `${where}: must be a non-negative number or decimal string${where.endsWith('/percent') ? ' not above 100' : ''}`;
    default:
      return describeSchemaError(error, 'channels.schema.json');
  }
}

export { matchesLocation };

const quantity = (value: unknown): string => normalizeDecimal(String(value));

/**
 * A channels file as its schema describes it once validated: with every schema `default` filled in.
 * Derived from {@link channelsSchema}, so it cannot drift from it.
 */
export type ChannelsFile = FromSchema<typeof channelsSchema>;

/**
 * Reads and validates a channels file (default `schemas/channels/channels.yaml`).
 * @throws ChannelsConfigError listing every problem with file:line:column.
 */
export function loadChannelsConfig(file = process.env.STOCKSYNC_CHANNELS_FILE ?? defaultChannelsFile): ChannelsConfig {
  let parsed;
  try {
    parsed = parseYamlFile(file);
  } catch (error) {
    if (error instanceof FileProblemsError) throw new ChannelsConfigError(error.problems);
    throw error;
  }
  const { data, locate } = parsed;
  const errors = validate(data);
  // oneOf failures repeat the errors of each branch; keep the oneOf line and drop its branches'.
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  const seen = new Set<string>();
  const problems: ChannelsProblem[] = errors
    .filter((e) => e.keyword === 'oneOf' || !oneOfPaths.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)))
    // a bad property name also fails the name's own "pattern" (reported once, as propertyNames)
    .filter((e) => !(e.keyword === 'pattern' && e.params.propertyName !== undefined) && !(e.propertyName !== undefined && e.keyword !== 'propertyNames'))
    .map((error) => {
      const at = errorPath(error);
      return { file, ...locate(at.path, at.atKey), message: describe(error) };
    })
    .filter((p) => {
      const id = `${p.line}:${p.column}:${p.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  if (problems.length > 0) throw new ChannelsConfigError(problems);

  const raw = (data as ChannelsFile).channels;
  const channels: ChannelRule[] = [];
  const tables = new Map<string, string>();
  for (const [name, c] of Object.entries(raw)) {
    const table = c.store.table;
    const target = `${c.store.kind}:${c.store.endpoint}:${table}`;
    const other = tables.get(target);
    if (other !== undefined) {
      problems.push({
        file,
        ...locate(['channels', name, 'store']),
        message: `channels.${name}.store: channel "${other}" already writes ${c.store.kind} endpoint "${c.store.endpoint}" table "${table}"; give each channel its own table`,
      });
    }
    tables.set(target, name);
    for (const location of Object.keys(c.safety_stock.by_location)) {
      if (!matchesLocation(c.locations, location)) {
        problems.push({
          file,
          ...locate(['channels', name, 'safety_stock', 'by_location', location], true),
          message: `channels.${name}.safety_stock.by_location: "${location}" is not one of the channel's locations (${c.locations.join(', ')})`,
        });
      }
    }
    channels.push({
      name,
      description: c.description,
      store: { kind: c.store.kind, endpoint: c.store.endpoint, table },
      locations: c.locations,
      safetyStock: {
        fromSource: c.safety_stock.from_source,
        byLocation: Object.fromEntries(Object.entries(c.safety_stock.by_location).map(([l, v]) => [l, quantity(v)])),
        default: quantity(c.safety_stock.default),
      },
      buffer:
        c.buffer?.units !== undefined ? { units: quantity(c.buffer.units) } : c.buffer?.percent !== undefined ? { percent: quantity(c.buffer.percent) } : null,
      cap: c.cap === null ? null : quantity(c.cap),
      rateLimit: {
        requestsPerSecond: c.rate_limit.requests_per_second,
        // Not a schema default: it depends on the rate (the schema's description says so).
        burst: c.rate_limit.burst ?? Math.max(1, Math.ceil(c.rate_limit.requests_per_second) * 2),
      },
      batchSize: c.batch_size,
      lowStock: {
        skus: Object.fromEntries(Object.entries(c.low_stock.skus).map(([sku, v]) => [sku, quantity(v)])),
        patterns: Object.entries(c.low_stock.patterns).map(([pattern, v]) => [pattern, quantity(v)]),
        default: c.low_stock.default === null ? null : quantity(c.low_stock.default),
      },
    });
  }
  if (problems.length > 0) throw new ChannelsConfigError(problems);
  const a = (data as ChannelsFile).alerts;
  const alerts: AlertSettings = {
    anomaly: { window: a.anomaly.window, minSamples: a.anomaly.min_samples, thresholdMads: a.anomaly.threshold_mads, minUnits: a.anomaly.min_units },
    stockout: { halfLifeHours: a.stockout.half_life_hours, coverDays: a.stockout.cover_days, minSales: a.stockout.min_sales },
  };
  return { channels, alerts, file };
}

/** A channel by name. @throws Error naming the known channels. */
export function channelRule(config: ChannelsConfig, name: string): ChannelRule {
  const rule = config.channels.find((c) => c.name === name);
  if (!rule) throw new Error(`unknown channel "${name}" (channels in ${config.file}: ${config.channels.map((c) => c.name).join(', ')})`);
  return rule;
}

/** The channel store kind of an endpoint kind (config/endpoints.ts says `mysql` for MariaDB/MySQL). */
const STORE_KIND: Record<DatabaseEndpoint['kind'], ChannelStoreConfig['kind']> = { mysql: 'mariadb', postgres: 'postgres' };

/**
 * Why a channel store's `kind` cannot be right for its endpoint, or null: a stack database
 * (`webshop`, `pos`, `marketplace`…) is of one kind by the endpoint convention (`endpointKind`),
 * and a `kind: postgres` store on the MariaDB `webshop` would fail at run time.
 */
export function storeKindMismatch(store: Pick<ChannelStoreConfig, 'kind' | 'endpoint'>, endpoints: StackEndpoints = stackEndpoints()): string | null {
  const kind = endpointKind(store.endpoint, endpoints);
  if (kind === undefined || STORE_KIND[kind] === store.kind) return null;
  const e = endpoints[store.endpoint as keyof StackEndpoints] as DatabaseEndpoint;
  return `store kind ${store.kind} does not fit endpoint "${store.endpoint}", a ${STORE_KIND[kind]} database (${e.host}:${e.port}, STOCKSYNC_${store.endpoint.toUpperCase()}_*)`;
}

/**
 * Resolves a channel store's endpoint by the one convention of every database
 * (config/endpoints.ts): endpoint name E reads STOCKSYNC_<E>_HOST, _PORT, _USER, _PASSWORD and
 * _DATABASE. `webshop` and `marketplace` are the stack's channel databases (`endpoints.webshop`,
 * `endpoints.marketplace`); any other name defaults to the machine's MariaDB (127.0.0.1:3306, root)
 * for `mariadb` or the canonical store's PostgreSQL server for `postgres`, and database `channel_<e>`.
 * @throws Error when the store's kind does not fit the endpoint ({@link storeKindMismatch}).
 */
export function channelEndpoint(
  store: Pick<ChannelStoreConfig, 'kind' | 'endpoint'>,
  endpoints: StackEndpoints = stackEndpoints(),
  env: Environment = process.env,
): DatabaseEndpoint {
  const mismatch = storeKindMismatch(store, endpoints);
  if (mismatch !== null) throw new Error(`${mismatch}; fix the store's kind or endpoint (npx stocksync channels check)`);
  if (store.endpoint === 'webshop' || store.endpoint === 'marketplace') return { ...endpoints[store.endpoint] };
  const kind = store.kind === 'mariadb' ? 'mysql' : 'postgres';
  return databaseEndpoint(store.endpoint, channelDatabaseDefaults(store.endpoint, kind, endpoints.canonical), env);
}

/** What `channels check` finds beyond the file itself: problems (exit 1) and warnings. */
export interface ChannelsCheck {
  problems: ChannelsProblem[];
  warnings: ChannelsProblem[];
}

/**
 * Checks a loaded channels file against the endpoint convention and the source mappings:
 * - a store whose `kind` does not fit its endpoint ({@link storeKindMismatch}) is a problem;
 * - a channel none of whose location patterns can match a location some source is authoritative
 *   for (the mappings' `locations`, which every mapping must declare) would never have stock: a
 *   problem; one such pattern beside patterns that do match is a warning (e.g. a store whose source
 *   is not connected yet).
 * @param sources - each source's name and authoritative location patterns (`SourceMapping`).
 */
export function checkChannelsConfig(
  config: ChannelsConfig,
  sources: ReadonlyArray<{ source: string; locations: readonly string[] }>,
  endpoints: StackEndpoints = stackEndpoints(),
): ChannelsCheck {
  const { locate } = parseYamlFile(config.file);
  const at = (path: Array<string | number>, message: string, hint?: string): ChannelsProblem => ({
    file: config.file,
    ...locate(path),
    message,
    ...(hint ? { hint } : {}),
  });
  const result: ChannelsCheck = { problems: [], warnings: [] };
  const authoritative = sources.flatMap((s) => s.locations.map((pattern) => `${s.source} ${pattern}`)).join(', ') || 'none';
  for (const rule of config.channels) {
    const mismatch = storeKindMismatch(rule.store, endpoints);
    if (mismatch !== null) {
      result.problems.push(
        at(
          ['channels', rule.name, 'store', 'kind'],
          `channels.${rule.name}.store: ${mismatch}`,
          'set kind to the database the endpoint is, or point the store at another endpoint',
        ),
      );
    }
    const dead = rule.locations
      .map((pattern, i) => ({ pattern, i }))
      .filter(({ pattern }) => !sources.some((s) => s.locations.some((l) => patternsOverlap(pattern, l))));
    if (dead.length === rule.locations.length) {
      result.problems.push(
        at(
          ['channels', rule.name, 'locations'],
          `channels.${rule.name}.locations: no pattern matches a location any source is authoritative for (${authoritative}): the channel would never have stock`,
          "match the sources' location codes (schemas/sources/*.yaml locations), or add the mapping file of the source that holds these locations",
        ),
      );
    } else {
      for (const { pattern, i } of dead) {
        result.warnings.push(
          at(
            ['channels', rule.name, 'locations', i],
            `channels.${rule.name}.locations: "${pattern}" matches no location any source is authoritative for; it will never have stock`,
          ),
        );
      }
    }
  }
  return result;
}
