/**
 * The stores a chaos run kills and pauses: the canonical PostgreSQL, Redis, the web shop's MariaDB
 * and the marketplace's PostgreSQL are the machine's shared servers in the default stack, which
 * must never be signalled. So a chaos run starts throwaway servers of its own (pipeline/dev/throwaway/)
 * and points the product processes at them through the `STOCKSYNC_*` endpoint variables
 * (src/config/endpoints.ts). Sources, Kafka, Connect and the registry stay this stack's.
 */
import { databaseVariableValues, stackEndpoints, type StackEndpoints } from '../../src/config/endpoints.ts';
import { portInUse } from '../stack/processes.ts';
import { startStorefrontServer } from '../throwaway/mariadb.ts';
import { startThrowawayPostgres, startThrowawayRedis, type ThrowawayServer } from '../throwaway/servers.ts';
import type { StoreTarget } from './faults.ts';

/** The chaos run's own stores, with the environment that points the product at them. */
export interface ChaosStores {
  servers: Record<StoreTarget, ThrowawayServer>;
  /** `STOCKSYNC_CANONICAL_*`, `_WEBSHOP_*`, `_MARKETPLACE_*` and `STOCKSYNC_REDIS_URL` for the throwaway servers. */
  env: Record<string, string>;
  /** This stack's endpoints with the stores replaced by the throwaway ones. */
  endpoints: StackEndpoints;
  /** Stops every server and removes its data. */
  destroy(): Promise<void>;
}

/**
 * The first port from `from` on, not in `taken`, on which nothing listens. A second stack's base
 * (e.g. 44500) may lie in Linux's ephemeral range (32768–60999), like that stack's own ports: a
 * port an outgoing connection holds at that moment is skipped only if it also listens, so keep
 * bases below 32768 where the ports are free to choose.
 * @throws Error when `from` is not a port, or none is free up to 65535.
 */
export function freePort(from: number, taken: ReadonlySet<number> = new Set()): number {
  if (!(Number.isInteger(from) && from >= 1 && from <= 65535)) throw new Error(`freePort: ${from} is not a TCP port`);
  for (let port = from; port <= 65535; port++) if (!taken.has(port) && !portInUse(port)) return port;
  throw new Error(`no free TCP port between ${from} and 65535`);
}

/**
 * Starts the four servers on free ports from `basePort` on (default `STOCKSYNC_CHAOS_PORT_BASE` or
 * 14500), with the stack's database names.
 * @throws Error when one does not start (those already started are destroyed first).
 */
export async function startChaosStores(basePort = Number(process.env.STOCKSYNC_CHAOS_PORT_BASE ?? 14500)): Promise<ChaosStores> {
  const stack = stackEndpoints();
  const taken = new Set<number>();
  const port = () => {
    const p = freePort(taken.size === 0 ? basePort : Math.max(...taken) + 1, taken);
    taken.add(p);
    return p;
  };
  const started: ThrowawayServer[] = [];
  try {
    const canonical = await startThrowawayPostgres(port());
    started.push(canonical);
    const marketplace = await startThrowawayPostgres(port());
    started.push(marketplace);
    const redis = await startThrowawayRedis(port());
    started.push(redis);
    const webshop = await startStorefrontServer(port(), stack.webshop.database);
    started.push(webshop);
    const env = {
      ...databaseVariableValues('canonical', { ...canonical.endpoint, database: stack.canonical.database }),
      ...databaseVariableValues('marketplace', { ...marketplace.endpoint, database: stack.marketplace.database }),
      ...databaseVariableValues('webshop', webshop.endpoint),
      STOCKSYNC_REDIS_URL: redis.url,
    };
    return {
      servers: { canonical, marketplace, redis, webshop },
      env,
      endpoints: stackEndpoints({ ...process.env, ...env }),
      destroy: async () => {
        await Promise.allSettled(started.map((s) => s.destroy()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.destroy()));
    throw error;
  }
}
