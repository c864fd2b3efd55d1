/** Choosing dead letters: by reason, original topic, source or table (each a list: any of them). */
import type { DeadLetterEntry } from './read.ts';

/** A filter; an absent or empty list matches everything. All given lists must match. */
export interface DeadLetterFilter {
  reason?: string[];
  topic?: string[];
  source?: string[];
  table?: string[];
}

/** The entries the filter matches, in their order. */
export function selectDeadLetters(entries: DeadLetterEntry[], filter: DeadLetterFilter): DeadLetterEntry[] {
  const match = (list: string[] | undefined, value: string | null) => !list || list.length === 0 || (value !== null && list.includes(value));
  return entries.filter(
    (e) => match(filter.reason, e.reason) && match(filter.topic, e.topic) && match(filter.source, e.source) && match(filter.table, e.table),
  );
}
