/**
 * Parked rows that waited too long: a stock row whose dimension row (product, location) has not
 * arrived within the source's `parked_timeout_seconds` is reported once to the dead-letter topic
 * (reason `dimension-timeout`). It stays parked: if the dimension row arrives later it is applied.
 */
import type pg from 'pg';
import type { SourceMapping } from '../normalize/index.ts';
import { tableTopic } from '../normalize/index.ts';
import type { DeadLetter } from '../dead-letter/index.ts';
import { withTransaction } from '../postgres/transaction.ts';

/**
 * Claims overdue parked rows, hands their dead letters to `report` inside the transaction (a failed
 * report leaves them unclaimed), and marks them reported. Returns how many were reported.
 */
export async function reportOverdueParked(pool: pg.Pool, mappings: SourceMapping[], report: (letters: DeadLetter[]) => Promise<void>): Promise<number> {
  let reported = 0;
  for (const mapping of mappings) {
    const count = await withTransaction(pool, async (client) => {
      const overdue = await client.query<{
        table_name: string;
        row_key: string;
        status_reason: string | null;
        status_field: string | null;
        product_ref: string;
        location_ref: string;
      }>(
        `SELECT table_name, row_key, status_reason, status_field, product_ref, location_ref FROM source_row
         WHERE source = $1 AND status = 'parked' AND parked_reported_at IS NULL AND NOT deleted
           AND updated_at < now() - make_interval(secs => $2)
         ORDER BY updated_at LIMIT 200 FOR UPDATE SKIP LOCKED`,
        [mapping.source, mapping.parked_timeout_seconds],
      );
      if (overdue.rows.length > 0) {
        await report(
          overdue.rows.map((row) => {
            const reason = row.status_reason ?? 'a dimension row is missing';
            const topic = tableTopic(mapping, row.table_name);
            return {
              record: {
                topic,
                partition: -1,
                offset: '',
                key: Buffer.from(row.row_key),
                value: Buffer.from(JSON.stringify({ product_ref: row.product_ref, location_ref: row.location_ref, reason })),
                headers: {},
                timestamp: Date.now(),
              },
              source: mapping.source,
              table: row.table_name,
              key: row.row_key,
              field: row.status_field,
              reason: 'dimension-timeout',
              error: `${mapping.source}.${row.table_name} row ${row.row_key} parked for more than ${mapping.parked_timeout_seconds} s: ${reason}`,
            } satisfies DeadLetter;
          }),
        );
        await client.query(
          `UPDATE source_row SET parked_reported_at = now() WHERE source = $1 AND table_name = ANY($2::text[]) AND row_key = ANY($3::text[])`,
          [mapping.source, overdue.rows.map((r) => r.table_name), overdue.rows.map((r) => r.row_key)],
        );
      }
      return overdue.rows.length;
    });
    reported += count;
  }
  return reported;
}
