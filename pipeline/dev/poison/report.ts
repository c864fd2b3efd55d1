/**
 * The poison run's verdict: every poison record found again in its source topic (by its
 * `stocksync.poison.*` headers) and matched, by topic, partition and offset, with the dead letters;
 * plus stalls, crashes and the oracles. Pure: the runner reads the topics and databases.
 */
import type { DeadLetterEntry } from '../../src/dead-letter/index.ts';
import type { KafkaRecord } from '../../src/kafka/client.ts';
import { POISON_KINDS, type Expected, type PoisonKind } from './kinds.ts';
import { POISON_HEADERS } from './producer.ts';

/** One variant's line of the report. */
export interface VariantRow {
  kind: PoisonKind;
  variant: string;
  expected: Expected;
  /** Records found in the source topics. */
  produced: number;
  /** Dead letters of these records, by reason. */
  deadLettered: Record<string, number>;
  /** Records expected to be dead-lettered that are not in the dead-letter topic. */
  missing: number;
  /** Records dead-lettered for another reason than expected (or at all, for `usable`). */
  unexpected: number;
}

/** A partition whose consumer group did not reach its end. */
export interface StalledPartition {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/** The whole report (`stocksync poison --json` prints it as the last line). */
export interface PoisonReport {
  passed: boolean;
  /** Poison records found in the source topics, in all and per kind. */
  records: number;
  producedByKind: Record<string, number>;
  variants: VariantRow[];
  /** Every dead letter of the run, by reason. */
  deadLettersByReason: Record<string, number>;
  /** Malformed records (expected to be dead-lettered) that are not in the dead-letter topic: must be 0. */
  notDeadLettered: number;
  /** Poison records dead-lettered for a reason other than expected, or usable ones dead-lettered: must be 0. */
  unexpectedDeadLetters: number;
  /** Dead letters of records that are not poison (the valid traffic): must be 0. */
  validDeadLettered: number;
  stalledPartitions: StalledPartition[];
  /** Product processes that exited during the run. */
  crashes: Array<{ process: string; exitCode: number | null; logTail: string }>;
  oracle: { canonicalMismatches: number; channelMismatches: number; canonicalRows: number };
  /** Load generator operations committed while the corpus was produced. */
  validOperations: number;
  /** From the end of production until the pipeline and the channels were caught up (null: never). */
  quiescenceMs: number | null;
  durationMs: number;
  notes: string[];
}

/** A poison record as read back from its topic. */
export interface FoundPoison {
  kind: PoisonKind;
  variant: string;
  expected: Expected;
}

/** The poison headers of a source record, or null for a record that is not poison. */
export function poisonOf(record: KafkaRecord): FoundPoison | null {
  const kind = record.headers[POISON_HEADERS.kind]?.toString('utf8');
  if (!kind || !(POISON_KINDS as readonly string[]).includes(kind)) return null;
  return {
    kind: kind as PoisonKind,
    variant: record.headers[POISON_HEADERS.variant]?.toString('utf8') ?? '',
    expected: (record.headers[POISON_HEADERS.expected]?.toString('utf8') ?? '') as Expected,
  };
}

/** `topic|partition|offset`. */
export const placeOf = (topic: string, partition: number, offset: string): string => `${topic}|${partition}|${offset}`;

/**
 * Matches the poison records (by place) with the dead letters.
 * @param poison - place → the record's poison headers.
 */
export function matchDeadLetters(
  poison: Map<string, FoundPoison>,
  letters: DeadLetterEntry[],
): Pick<PoisonReport, 'records' | 'producedByKind' | 'variants' | 'deadLettersByReason' | 'notDeadLettered' | 'unexpectedDeadLetters' | 'validDeadLettered'> & {
  validExamples: DeadLetterEntry[];
} {
  const letterAt = new Map<string, DeadLetterEntry>();
  const deadLettersByReason: Record<string, number> = {};
  const validExamples: DeadLetterEntry[] = [];
  let validDeadLettered = 0;
  for (const letter of letters) {
    const reason = letter.reason ?? '(none)';
    deadLettersByReason[reason] = (deadLettersByReason[reason] ?? 0) + 1;
    const place = letter.topic !== null && letter.partition !== null && letter.offset !== null ? placeOf(letter.topic, letter.partition, letter.offset) : null;
    if (place && poison.has(place)) letterAt.set(place, letter);
    else {
      validDeadLettered++;
      if (validExamples.length < 5) validExamples.push(letter);
    }
  }
  const rows = new Map<string, VariantRow>();
  const producedByKind: Record<string, number> = {};
  for (const [place, p] of poison) {
    producedByKind[p.kind] = (producedByKind[p.kind] ?? 0) + 1;
    const id = `${p.kind}|${p.variant}`;
    let row = rows.get(id);
    if (!row) rows.set(id, (row = { kind: p.kind, variant: p.variant, expected: p.expected, produced: 0, deadLettered: {}, missing: 0, unexpected: 0 }));
    row.produced++;
    const letter = letterAt.get(place);
    if (!letter) {
      if (p.expected !== 'usable') row.missing++;
      continue;
    }
    const reason = letter.reason ?? '(none)';
    row.deadLettered[reason] = (row.deadLettered[reason] ?? 0) + 1;
    if (reason !== p.expected) row.unexpected++;
  }
  const variants = [...rows.values()].sort((a, b) => POISON_KINDS.indexOf(a.kind) - POISON_KINDS.indexOf(b.kind) || a.variant.localeCompare(b.variant));
  return {
    records: poison.size,
    producedByKind,
    variants,
    deadLettersByReason,
    notDeadLettered: variants.reduce((n, v) => n + v.missing, 0),
    unexpectedDeadLetters: variants.reduce((n, v) => n + v.unexpected, 0),
    validDeadLettered,
    validExamples,
  };
}

/** The report as a table and a verdict, for people. */
export function formatPoisonReport(report: PoisonReport): string {
  const lines: string[] = [];
  lines.push(`poison corpus: ${report.records} records into the source topics, ${report.validOperations} valid source operations meanwhile`);
  lines.push('');
  lines.push('| kind | variant | expected | produced | dead-lettered (reason: n) | not dead-lettered | unexpected |');
  lines.push('| --- | --- | --- | ---: | --- | ---: | ---: |');
  for (const v of report.variants) {
    const letters = Object.entries(v.deadLettered)
      .map(([r, n]) => `${r}: ${n}`)
      .join(', ');
    lines.push(
      `| ${v.kind} | ${v.variant} | ${v.expected} | ${v.produced} | ${letters || '-'} | ${v.expected === 'usable' ? '-' : v.missing} | ${v.unexpected} |`,
    );
  }
  lines.push('');
  lines.push(`records per kind: ${POISON_KINDS.map((k) => `${k} ${report.producedByKind[k] ?? 0}`).join(', ')}`);
  lines.push(
    `dead letters per reason: ${
      Object.entries(report.deadLettersByReason)
        .sort()
        .map(([r, n]) => `${r} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  lines.push(`malformed records not dead-lettered: ${report.notDeadLettered}`);
  lines.push(`dead letters with an unexpected reason (or of usable records): ${report.unexpectedDeadLetters}`);
  lines.push(`valid records dead-lettered: ${report.validDeadLettered}`);
  lines.push(
    `stalled partitions: ${report.stalledPartitions.length === 0 ? 0 : report.stalledPartitions.map((s) => `${s.group} ${s.topic}[${s.partition}] lag ${s.lag}`).join(', ')}`,
  );
  lines.push(`crashes: ${report.crashes.length === 0 ? 0 : report.crashes.map((c) => `${c.process} exited (${c.exitCode})`).join(', ')}`);
  lines.push(
    `oracle mismatches: canonical ${report.oracle.canonicalMismatches} (${report.oracle.canonicalRows} rows), channels ${report.oracle.channelMismatches}`,
  );
  lines.push(
    `caught up ${report.quiescenceMs === null ? 'never' : `${(report.quiescenceMs / 1000).toFixed(1)} s`} after the corpus was produced; run took ${(report.durationMs / 1000).toFixed(0)} s`,
  );
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push('');
  lines.push(`poison ${report.passed ? 'PASS' : 'FAIL'}`);
  return lines.join('\n');
}
