/**
 * "Caught up" for capture: a connector is RUNNING and has read its source up to the source's
 * current position. Consumer lag 0 alone says nothing when a connector is FAILED or behind: the
 * changes it has not read are in no topic yet.
 *
 * The connector's read position is its committed source offset, from Kafka Connect
 * (`GET /connectors/{name}/offsets`, KIP-875). It only moves when the connector emits a record: a
 * change, or a heartbeat (`heartbeat.interval.ms`, emitted at the first source event after the
 * interval). A source that other databases or other tables keep writing to moves on without the
 * connector having anything to emit, and a source that goes idle right after a change leaves the
 * offset inside that change's transaction. So "offset ≥ current position" is the wrong test;
 * instead, the log between the offset and the current position must hold no change of a captured
 * table:
 *
 * - MariaDB/MySQL: `SHOW BINLOG EVENTS` from the offset's binlog file and position up to
 *   `SHOW MASTER STATUS`, looking for row events of captured tables (Table_map names them)
 *   that the offset does not cover.
 * - PostgreSQL: the connector's replication slot is copied into a temporary slot
 *   (`pg_copy_logical_replication_slot`), whose changes up to `pg_current_wal_lsn()` are peeked
 *   through the connector's publication (`pg_logical_slot_peek_binary_changes`, pgoutput): only
 *   changes of captured tables come out, and those after the offset's LSN are unread.
 *
 * Documented in docs/operations.md ("Caught up").
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { connectorFiles, loadConnector, placeholderValues, resolveEnvReferences, type ConnectorFile } from './apply.ts';
import { connectorPath, connectRequest } from './connect-rest.ts';
import { connectorHealth } from './health.ts';

/** The answer of {@link sourceCaughtUp}. */
export interface CaughtUp {
  connector: string;
  /** RUNNING, and no change of a captured table in the source's log after the committed offset. */
  caughtUp: boolean;
  /** Why (not), for people: the task state, the first unread change, a snapshot in progress… */
  reason: string;
  /** The source's current log position: `binlog.000003:1234` or a PostgreSQL LSN (`0/2F3BA88`); null if not read. */
  sourcePosition: string | null;
  /** The connector's committed source offset as Kafka Connect reports it; null when it has none. */
  offset: Record<string, unknown> | null;
}

/** One event of `SHOW BINLOG EVENTS`. */
export interface BinlogEvent {
  file: string;
  /** Start position of the event. */
  pos: number;
  /** Event_type, e.g. `Gtid`, `Table_map`, `Write_rows_v1`, `Xid`. */
  type: string;
  /** Info column, e.g. `table_id: 86 (pos.locations)`. */
  info: string;
  /** End_log_pos: the start of the next event. */
  endPos: number;
}

/** The binlog part of a Debezium MariaDB/MySQL source offset. */
export interface BinlogOffset {
  file: string;
  /** Where the connector restarts: the start of the transaction in progress, or a transaction boundary. */
  pos: number;
  /** Events of that transaction already processed (absent at a boundary). */
  event?: number;
  /** Rows of the next event already processed. */
  row?: number;
}

const ROWS_EVENT = /^(Write|Update|Delete)_rows/;

/**
 * The first change of a captured table in `events` (read from the offset's position on, in log
 * order) that the offset does not cover, or null when there is none.
 *
 * Coverage follows how Debezium 3.5 counts a transaction in its offset (observed, see the unit
 * test): `pos` is the transaction's GTID event, `event` the number of its events processed,
 * counting the GTID event and every Table_map and rows event (MariaDB's Annotate_rows are not
 * counted), and `row` the rows processed of the next one. A rows event at that very index counts as
 * read once `row` ≥ 1: SHOW BINLOG EVENTS does not tell how many rows an event holds, and
 * Debezium queues all rows of an event at once, so its remaining rows are in flight at most.
 */
export function firstUnreadChange(events: BinlogEvent[], offset: BinlogOffset, captured: (table: string) => boolean): (BinlogEvent & { table: string }) | null {
  const tables = new Map<string, string>();
  let txStart: { file: string; pos: number } | null = null;
  let index = 0;
  for (const event of events) {
    if (event.type === 'Gtid') {
      txStart = { file: event.file, pos: event.pos };
      index = 0;
      continue;
    }
    if (event.type === 'Annotate_rows') continue;
    index++;
    if (event.type === 'Table_map') {
      const match = /^table_id: (\d+) \((.*)\)$/.exec(event.info);
      if (match) tables.set(match[1]!, match[2]!);
      continue;
    }
    if (!ROWS_EVENT.test(event.type)) continue;
    const table = tables.get(/^table_id: (\d+)/.exec(event.info)?.[1] ?? '');
    if (table === undefined || !captured(table)) continue;
    const inOffsetTransaction = txStart !== null && txStart.file === offset.file && txStart.pos === offset.pos && offset.event !== undefined;
    const read = inOffsetTransaction && (index < offset.event! || (index === offset.event && (offset.row ?? 0) >= 1));
    if (!read) return { ...event, table };
  }
  return null;
}

/** Above this many binlog events between offset and source position, the connector is simply behind. */
const MAX_SCANNED_EVENTS = 200_000;
const PAGE = 2000;

/**
 * A position in a source's log to check the connector's offset against instead of the source's
 * current one: binlog coordinates (MariaDB/MySQL) or an LSN (PostgreSQL).
 */
export type LogPosition = { file: string; pos: number } | { lsn: bigint };

async function mariadbCaughtUp(
  connector: ConnectorFile,
  offset: Record<string, unknown>,
  until?: { file: string; pos: number },
): Promise<Omit<CaughtUp, 'connector' | 'offset'>> {
  const c = connector.config;
  const conn = await mysql.createConnection({
    host: c['database.hostname'],
    port: Number(c['database.port']),
    user: c['database.user'],
    password: resolveEnvReferences(c['database.password'] ?? ''),
  });
  try {
    const [[current]] = await conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    const master = until ? { File: until.file, Position: until.pos } : current;
    if (!master) return { caughtUp: false, reason: 'SHOW MASTER STATUS answered nothing: is the binlog on?', sourcePosition: null };
    const sourcePosition = `${master.File}:${master.Position}`;
    const at: BinlogOffset = {
      file: String(offset.file),
      pos: Number(offset.pos),
      event: offset.event === undefined ? undefined : Number(offset.event),
      row: offset.row === undefined ? undefined : Number(offset.row),
    };
    const [logs] = await conn.query<mysql.RowDataPacket[]>('SHOW BINARY LOGS');
    const files = logs.map((l) => String(l.Log_name));
    const first = files.indexOf(at.file);
    if (first < 0) {
      return {
        caughtUp: false,
        reason: `binlog ${at.file}, where the connector's offset points, is no longer on the server (purged): the connector cannot resume there and needs a new snapshot (docs/operations.md)`,
        sourcePosition,
      };
    }
    const databases = c['database.include.list'];
    const tables = c['table.include.list'];
    const captured = (table: string) =>
      (!databases || databases.split(',').some((p) => new RegExp(`^(?:${p.trim()})$`, 'i').test(table.split('.')[0]!))) &&
      (!tables || tables.split(',').some((p) => new RegExp(`^(?:${p.trim()})$`, 'i').test(table)));
    const events: BinlogEvent[] = [];
    for (const file of files.slice(first, files.indexOf(String(master.File)) + 1)) {
      let from = file === at.file ? at.pos : 4;
      for (;;) {
        const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW BINLOG EVENTS IN ? FROM ? LIMIT ?', [file, from, PAGE]);
        const page = rows
          .map((r) => ({ file, pos: Number(r.Pos), type: String(r.Event_type), info: String(r.Info ?? ''), endPos: Number(r.End_log_pos) }))
          .filter((e) => file !== master.File || e.pos < Number(master.Position));
        events.push(...page);
        if (events.length > MAX_SCANNED_EVENTS) {
          return {
            caughtUp: false,
            reason: `more than ${MAX_SCANNED_EVENTS} binlog events between the offset ${at.file}:${at.pos} and ${sourcePosition}`,
            sourcePosition,
          };
        }
        if (rows.length < PAGE || page.length < rows.length) break;
        from = page[page.length - 1]!.endPos;
      }
    }
    const unread = firstUnreadChange(events, at, captured);
    if (unread) {
      return {
        caughtUp: false,
        reason: `${unread.type} on ${unread.table} at ${unread.file}:${unread.pos} not read yet (offset ${at.file}:${at.pos}, source at ${sourcePosition})`,
        sourcePosition,
      };
    }
    return { caughtUp: true, reason: `no change of a captured table after the offset ${at.file}:${at.pos} (source at ${sourcePosition})`, sourcePosition };
  } finally {
    await conn.end();
  }
}

/** `0/2F3BA88` → 49527432. */
export function lsnToNumber(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

async function postgresCaughtUp(
  connector: ConnectorFile,
  offset: Record<string, unknown>,
  until?: { lsn: bigint },
): Promise<Omit<CaughtUp, 'connector' | 'offset'>> {
  const c = connector.config;
  const slot = c['slot.name'] ?? 'debezium';
  const publication = c['publication.name'] ?? 'dbz_publication';
  const client = new pg.Client({
    host: c['database.hostname'],
    port: Number(c['database.port']),
    user: c['database.user'],
    password: resolveEnvReferences(c['database.password'] ?? ''),
    database: c['database.dbname'],
  });
  await client.connect();
  try {
    const { rows: slots } = await client.query('SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (slots.length === 0) {
      return {
        caughtUp: false,
        reason: `replication slot ${slot} does not exist: the connector cannot resume and needs a new snapshot (docs/operations.md)`,
        sourcePosition: null,
      };
    }
    const { rows: current } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const target = until ? `${(until.lsn >> 32n).toString(16).toUpperCase()}/${(until.lsn & 0xffffffffn).toString(16).toUpperCase()}` : current[0]!.lsn;
    const read = BigInt(String(offset.lsn_proc ?? offset.lsn));
    // A temporary copy of the connector's slot (dropped with this session) can be peeked while the
    // connector streams from the original; peeking neither consumes nor confirms anything.
    const copy = `stocksync_caught_up_${process.pid}_${Date.now()}`;
    await client.query('SELECT pg_copy_logical_replication_slot($1, $2, true)', [slot, copy]);
    // pgoutput messages start with their type: I(nsert), U(pdate), D(elete), T(runcate).
    const { rows } = await client.query<{ lsn: string; kind: string }>(
      `SELECT lsn::text AS lsn, chr(get_byte(data, 0)) AS kind
         FROM pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, NULL, 'proto_version', '1', 'publication_names', $3)
        WHERE get_byte(data, 0) IN (73, 85, 68, 84)`,
      [copy, target, publication],
    );
    const unread = rows.filter((r) => lsnToNumber(r.lsn) > read);
    if (unread.length > 0) {
      return {
        caughtUp: false,
        reason: `${unread.length} change(s) of captured tables not read yet, the first at LSN ${unread[0]!.lsn} (offset LSN ${read}, source at ${target})`,
        sourcePosition: target,
      };
    }
    return { caughtUp: true, reason: `no change of a captured table after the offset LSN ${read} (source at ${target})`, sourcePosition: target };
  } finally {
    await client.end();
  }
}

/** A shipped connector's config by name, placeholders filled as this process sees the hosts. */
function shippedConnector(connector: string | ConnectorFile): ConnectorFile {
  const config =
    typeof connector === 'string'
      ? connectorFiles()
          .map((f) => loadConnector(f, placeholderValues('cli')))
          .find((c) => c.name === connector)
      : connector;
  if (!config) throw new Error(`connector ${String(connector)} is not in connectors/debezium/`);
  return config;
}

/**
 * Whether a connector's committed offset covers every change of a captured table in its source's
 * log (up to `until` when given, e.g. where a consistent read of the source stood), whatever state the connector is in (a paused connector may be behind; a FAILED one too).
 * {@link sourceCaughtUp} adds the RUNNING check.
 * @throws Error when Connect or the source database cannot be reached, or the name is unknown.
 */
export async function offsetCoversSource(connector: string | ConnectorFile, until?: LogPosition): Promise<CaughtUp> {
  const config = shippedConnector(connector);
  const name = config.name;
  const { status, json } = await connectRequest('GET', connectorPath(name, '/offsets'));
  if (status === 404) return { connector: name, caughtUp: false, reason: 'not registered', sourcePosition: null, offset: null };
  if (status !== 200) throw new Error(`GET /connectors/${name}/offsets answered ${status}: ${JSON.stringify(json)}`);
  const offset = ((json as { offsets: Array<{ offset: Record<string, unknown> }> }).offsets[0]?.offset ?? null) as Record<string, unknown> | null;
  if (!offset) return { connector: name, caughtUp: false, reason: 'no committed offset yet (snapshot not started)', sourcePosition: null, offset };
  // Snapshot records carry `snapshot` (and on PostgreSQL `snapshot_completed: false`); the first
  // offset committed once streaming starts has neither.
  if (offset.snapshot !== undefined && offset.snapshot !== false && offset.snapshot !== 'false' && offset.snapshot_completed !== true) {
    return { connector: name, caughtUp: false, reason: `snapshot in progress (${String(offset.snapshot)})`, sourcePosition: null, offset };
  }
  const isPostgres = /postgres/i.test(config.config['connector.class'] ?? '');
  if (until && isPostgres !== 'lsn' in until)
    throw new Error(
      `connector ${name}: position ${JSON.stringify(until, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))} is not of its source's kind`,
    );
  const result = isPostgres
    ? await postgresCaughtUp(config, offset, until as { lsn: bigint } | undefined)
    : await mariadbCaughtUp(config, offset, until as { file: string; pos: number } | undefined);
  return { connector: name, offset, ...result };
}

/**
 * Whether a connector is caught up with its source: RUNNING (connector and every task), past its
 * snapshot, and no change of a captured table in the source's log after its committed offset.
 * `connector` is a shipped connector's name or its loaded config (placeholders filled as this
 * process sees the hosts, see `placeholderValues('cli')`).
 * @throws Error when Connect or the source database cannot be reached, or the name is unknown.
 */
export async function sourceCaughtUp(connector: string | ConnectorFile): Promise<CaughtUp> {
  const config = shippedConnector(connector);
  const [health] = await connectorHealth([config.name]);
  if (!health?.running) return { connector: config.name, caughtUp: false, reason: health?.summary ?? 'not registered', sourcePosition: null, offset: null };
  return offsetCoversSource(config);
}

/** {@link sourceCaughtUp} for each shipped connector (or the named ones), sorted by name. */
export async function connectorsCaughtUp(names?: string[]): Promise<CaughtUp[]> {
  const configs = connectorFiles()
    .map((f) => loadConnector(f, placeholderValues('cli')))
    .filter((c) => !names || names.length === 0 || names.includes(c.name));
  const results = await Promise.all(configs.map((c) => sourceCaughtUp(c)));
  return results.sort((a, b) => a.connector.localeCompare(b.connector));
}
