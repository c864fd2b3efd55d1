/**
 * The fault catalogue of `stocksync chaos` (issue 16 item 1): every fault the matrix applies, in
 * the order it applies them, with what it does, how the product recovers, and what an operator
 * must do when it does not. Pure data; the runner (runner.ts) applies them.
 */

/** A product process the chaos run starts and supervises. */
export type ProductTarget = 'pipeline' | 'channels';

/** A managed component of this stack (by its `stack up` name; signalled by its own pid file only). */
export type StackTarget = 'kafka' | 'kafka-connect' | 'schema-registry' | 'pos-mariadb' | 'wms-postgres';

/**
 * A server the chaos run starts for itself (never the machine's PostgreSQL 5432, MariaDB 3306 or
 * Redis 6379): the canonical store, Redis, the web shop's MariaDB, the marketplace's PostgreSQL.
 */
export type StoreTarget = 'canonical' | 'redis' | 'webshop' | 'marketplace';

/** What a fault hits. */
export type FaultTarget = { layer: 'product'; process: ProductTarget } | { layer: 'stack'; component: StackTarget } | { layer: 'store'; server: StoreTarget };

/** One fault of the matrix. */
export interface Fault {
  /** Its name on the command line and in the report, e.g. `kafka`, `canonical-pause`. */
  name: string;
  target: FaultTarget;
  /** `kill`: SIGKILL, then restarted as a supervisor would; `pause`: SIGSTOP for the pause time, then SIGCONT. */
  action: 'kill' | 'pause';
  /** What is done, for people. */
  what: string;
  /** How stocksync gets over it (what the supervisor does and what the product does itself). */
  recovery: string;
  /** What an operator must do if the row does not recover (printed in a failed row). */
  operator: string;
  /** Part of `--short` (a product process, a stack component and a store: the cheapest three). */
  short: boolean;
}

const RESTART_FAILED = 'run `npx stocksync connectors restart` (FAILED tasks) and check `npx stocksync stack status`';

/** Every fault, in the order a full run applies them. */
export const FAULTS: readonly Fault[] = [
  {
    name: 'pipeline-instance',
    target: { layer: 'product', process: 'pipeline' },
    action: 'kill',
    what: 'kill -9 of one of the two `stocksync run` instances of the group',
    recovery: 'the other instance takes its partitions after the 20 s session timeout; the supervisor starts it again and it rejoins',
    operator: 'start `stocksync run` again (a supervisor does)',
    short: true,
  },
  {
    name: 'channels',
    target: { layer: 'product', process: 'channels' },
    action: 'kill',
    what: 'kill -9 of `stocksync channels run`',
    recovery: 'the supervisor starts it again; it resumes from its committed offsets (versioned writes make a replay harmless)',
    operator: 'start `stocksync channels run` again (a supervisor does)',
    short: false,
  },
  {
    name: 'kafka',
    target: { layer: 'stack', component: 'kafka' },
    action: 'kill',
    what: 'kill -9 of the Kafka broker',
    recovery: '`stack up` starts it again; consumers rejoin their groups, Connect resumes',
    operator: `run \`npx stocksync stack up\`; if lag does not fall, ${RESTART_FAILED}`,
    short: true,
  },
  {
    name: 'kafka-connect',
    target: { layer: 'stack', component: 'kafka-connect' },
    action: 'kill',
    what: 'kill -9 of the Kafka Connect worker',
    recovery: '`stack up` starts it again; the connectors resume from their committed offsets (changes since are delivered again, skipped by position)',
    operator: `run \`npx stocksync stack up\`, then ${RESTART_FAILED}`,
    short: false,
  },
  {
    name: 'schema-registry',
    target: { layer: 'stack', component: 'schema-registry' },
    action: 'kill',
    what: 'kill -9 of the schema registry (Apicurio)',
    recovery:
      "`stack up` starts it again; the converters keep the schema ids they know (fault-tolerant refresh); a task that FAILED is restarted by `stack up`'s last step",
    operator: `run \`npx stocksync stack up\`, then ${RESTART_FAILED}`,
    short: false,
  },
  {
    name: 'pos-mariadb',
    target: { layer: 'stack', component: 'pos-mariadb' },
    action: 'kill',
    what: 'kill -9 of the POS MariaDB (also the ERPNext source)',
    recovery: '`stack up` starts it again (InnoDB crash recovery); Debezium reconnects by itself after 10 s and resumes from its binlog offset',
    operator: `run \`npx stocksync stack up\`; if the binlog was purged meanwhile, take a new snapshot (docs/operations.md "Binlog purged")`,
    short: false,
  },
  {
    name: 'wms-postgres',
    target: { layer: 'stack', component: 'wms-postgres' },
    action: 'kill',
    what: 'kill -9 of the warehouse PostgreSQL (postmaster)',
    recovery: '`stack up` starts it again (WAL recovery); Debezium reconnects to its replication slot and resumes',
    operator: `run \`npx stocksync stack up\`; if the replication slot was dropped, take a new snapshot (docs/operations.md "Binlog purged")`,
    short: false,
  },
  {
    name: 'canonical-postgres',
    target: { layer: 'store', server: 'canonical' },
    action: 'kill',
    what: "kill -9 of the canonical store's PostgreSQL (postmaster; a chaos-owned server)",
    recovery: 'the server is started again; the pipeline and the channels keep running, their pools reconnect and the failed batches are retried',
    operator: 'start the canonical PostgreSQL again; if `stocksync run` or `channels run` exited, start them again',
    short: true,
  },
  {
    name: 'redis',
    target: { layer: 'store', server: 'redis' },
    action: 'kill',
    what: 'kill -9 of Redis (a chaos-owned server without persistence: it comes back empty)',
    recovery: 'the server is started again; the outbox holds the changes meanwhile and drains',
    operator: 'start Redis again',
    short: false,
  },
  {
    name: 'webshop-mariadb',
    target: { layer: 'store', server: 'webshop' },
    action: 'kill',
    what: "kill -9 of the web shop channel's MariaDB (a chaos-owned server)",
    recovery: 'the server is started again; only the web shop channel waits, its writes are retried',
    operator: 'start the web shop database again',
    short: false,
  },
  {
    name: 'marketplace-postgres',
    target: { layer: 'store', server: 'marketplace' },
    action: 'kill',
    what: "kill -9 of the marketplace channel's PostgreSQL (a chaos-owned server)",
    recovery: 'the server is started again; only the marketplace channel waits, its writes are retried',
    operator: 'start the marketplace database again',
    short: false,
  },
  {
    name: 'kafka-pause',
    target: { layer: 'stack', component: 'kafka' },
    action: 'pause',
    what: 'SIGSTOP of the Kafka broker for longer than the session timeouts, then SIGCONT',
    recovery: 'the broker resumes; members fenced meanwhile rejoin their groups (or their process exits and is started again)',
    operator:
      "connectors UNASSIGNED (task RUNNING) after the broker resumed come back after Connect's `scheduled.rebalance.max.delay.ms` (5 min by default; the local stack sets 0) or at once when the worker restarts; a group without members: start `stocksync run` / `channels run` again",
    short: false,
  },
  {
    name: 'canonical-pause',
    target: { layer: 'store', server: 'canonical' },
    action: 'pause',
    what: "SIGSTOP of the canonical store's PostgreSQL and its backends for longer than the session timeouts, then SIGCONT",
    recovery: 'batches wait on the store; members that miss their session are fenced and rejoin; the uncommitted batches are consumed again',
    operator: 'if lag does not fall once the store answers, start `stocksync run` / `channels run` again',
    short: false,
  },
];

/**
 * The faults to run: the named ones (in catalogue order), else the `--short` three, else all.
 * @throws Error naming an unknown fault and the known ones.
 */
export function selectFaults(names: readonly string[], short = false): Fault[] {
  if (names.length > 0) {
    const unknown = names.filter((n) => !FAULTS.some((f) => f.name === n));
    if (unknown.length > 0) throw new Error(`unknown fault ${unknown.join(', ')}; known: ${FAULTS.map((f) => f.name).join(', ')}`);
    return FAULTS.filter((f) => names.includes(f.name));
  }
  return FAULTS.filter((f) => !short || f.short);
}
