/** How `stocksync dlq list` prints dead letters: a block per letter, or one JSON object per line. */
import type { DeadLetterEntry } from './read.ts';

const FIELDS = ['source', 'topic', 'partition', 'offset', 'table', 'key', 'field', 'reason', 'error'] as const;

function fields(e: DeadLetterEntry): Record<(typeof FIELDS)[number], string | number | null> {
  return {
    source: e.source,
    topic: e.topic,
    partition: e.partition,
    offset: e.offset,
    table: e.table,
    key: e.recordKey,
    field: e.field,
    reason: e.reason,
    error: e.error,
  };
}

/** A readable block: the dead letter's place and time, then one `name  value` line per header. */
export function formatDeadLetter(e: DeadLetterEntry): string {
  const when = e.failedAtMs === null ? '' : `  ${new Date(e.failedAtMs).toISOString()}`;
  const lines = [`${e.dlq.topic} ${e.dlq.partition}/${e.dlq.offset}${when}`];
  for (const [name, value] of Object.entries(fields(e))) lines.push(`  ${name.padEnd(9)} ${value ?? ''}`);
  return lines.join('\n');
}

/** One JSON object: the headers plus the dead letter's own place and the key/value sizes. */
export function deadLetterJson(e: DeadLetterEntry): string {
  return JSON.stringify({
    dlq: `${e.dlq.partition}/${e.dlq.offset}`,
    failedAt: e.failedAtMs === null ? null : new Date(e.failedAtMs).toISOString(),
    ...fields(e),
    keyBytes: e.key?.length ?? null,
    valueBytes: e.value?.length ?? null,
  });
}
