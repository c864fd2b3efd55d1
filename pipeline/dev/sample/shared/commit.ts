/**
 * The stamp every sample source operation returns: when its transaction committed and under which
 * id Debezium will report it, so that a caller can match the change events and measure latency.
 */

/** When and where a source transaction committed. */
export interface CommitStamp {
  /** `Date.now()` (ms since the epoch) taken right after COMMIT returned. */
  committedAtMs: number;
  /** `process.hrtime.bigint()` (ns, monotonic) taken at the same moment. */
  committedAtHr: bigint;
  /**
   * Source transaction id as Debezium reports it: the MariaDB GTID (`source.gtid`, e.g. `0-1-42`)
   * or the Postgres xid (`source.txId`), as a string; null when unavailable (binlog disabled).
   */
  txId: string | null;
}
