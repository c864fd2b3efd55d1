/**
 * The chaos report: one row per fault (recovery time, oracle mismatches, duplicates, dead letters,
 * PASS/FAIL) and how it is printed — a table for people, the whole report as JSON for scripts.
 */
import type { BenchMachine } from '../bench/report.ts';

/** What one fault did. */
export interface ChaosRow {
  fault: string;
  action: 'kill' | 'pause';
  /** Source changes per second the load generator reached during the fault's load window (estimated from its operations). */
  changesPerS: number;
  /** Seconds from the fault to the killed part answering again (kill), or the pause's length (pause). */
  restartS: number | null;
  /** Seconds from the fault until caught up (connectors RUNNING and read to their source, lag 0, outboxes empty); null when never within the timeout. */
  recoveryS: number | null;
  /** Canonical rows differing from the SQL oracle over the sources after the fault. */
  canonicalMismatches: number;
  /** Channel rows differing from the channel oracle after the fault. */
  channelMismatches: number;
  /** Canonical versions written in the fault's window by a source change that had already produced an earlier version of the same row (applied twice). */
  duplicates: number;
  /** stock.levels records in the window that repeat a version already published (delivered twice; harmless, channel writes are versioned). */
  republished: number;
  /** Records added to the dead-letter topic between the fault and caught up. */
  deadLetters: number;
  /** Product processes that exited on their own (besides the one killed) and were started again, and FAILED connector tasks restarted. */
  restartedBySupervisor: number;
  passed: boolean;
  /** What an operator must do, when the row did not recover by itself; null when nothing. */
  operator: string | null;
  /** Anything else worth knowing (the load generator losing a source, what did not catch up). */
  notes: string[];
}

/** The whole run. */
export interface ChaosReport {
  /** Target source changes per second. */
  rate: number;
  loadSeconds: number;
  pauseSeconds: number;
  machine: BenchMachine;
  rows: ChaosRow[];
  /** Every row passed. */
  passed: boolean;
  notes: string[];
}

/** A row passes when it recovered and neither oracle found a mismatch, nothing was applied twice and nothing was dead-lettered. */
export function rowPassed(row: Omit<ChaosRow, 'passed'>): boolean {
  return row.recoveryS !== null && row.canonicalMismatches === 0 && row.channelMismatches === 0 && row.duplicates === 0 && row.deadLetters === 0;
}

const COLUMNS: Array<{ title: string; cell: (r: ChaosRow) => string }> = [
  { title: 'fault', cell: (r) => r.fault },
  { title: 'action', cell: (r) => (r.action === 'kill' ? 'kill -9' : 'SIGSTOP') },
  { title: 'load changes/s', cell: (r) => String(r.changesPerS) },
  { title: 'restart s', cell: (r) => (r.restartS === null ? '-' : r.restartS.toFixed(1)) },
  { title: 'recovery s', cell: (r) => (r.recoveryS === null ? 'NOT RECOVERED' : r.recoveryS.toFixed(1)) },
  { title: 'canonical mismatches', cell: (r) => String(r.canonicalMismatches) },
  { title: 'channel mismatches', cell: (r) => String(r.channelMismatches) },
  { title: 'duplicates', cell: (r) => String(r.duplicates) },
  { title: 'republished', cell: (r) => String(r.republished) },
  { title: 'dead letters', cell: (r) => String(r.deadLetters) },
  { title: 'supervisor restarts', cell: (r) => String(r.restartedBySupervisor) },
  { title: 'result', cell: (r) => (r.passed ? 'PASS' : 'FAIL') },
  { title: 'operator', cell: (r) => r.operator ?? '-' },
];

/** The report as a Markdown table (one row per fault), followed by the machine, the load reached against its target, the notes and PASS/FAIL. */
export function formatChaosReport(report: ChaosReport): string {
  const lines = [
    `| ${COLUMNS.map((c) => c.title).join(' | ')} |`,
    `| ${COLUMNS.map(() => '---').join(' | ')} |`,
    ...report.rows.map((r) => `| ${COLUMNS.map((c) => c.cell(r).replaceAll('|', '\\|')).join(' | ')} |`),
  ];
  const { cores, loadAverage } = report.machine;
  lines.push(
    '',
    `target ${report.rate} source changes/s, ${report.loadSeconds} s of load per fault, pauses ${report.pauseSeconds} s; ${cores} cores, load average ${loadAverage.start.join(' ')} -> ${loadAverage.end.join(' ')}`,
  );
  const reached = report.rows.map((r) => r.changesPerS).sort((a, b) => a - b);
  if (reached.length > 0) {
    const below = reached.filter((v) => v < report.rate).length;
    lines.push(
      `load reached ${reached[0]}–${reached.at(-1)} source changes/s (median ${reached[Math.floor((reached.length - 1) / 2)]}) of the ${report.rate} asked for; ${below} of ${reached.length} rows below the target`,
    );
  }
  for (const r of report.rows) for (const n of r.notes) lines.push(`${r.fault}: ${n}`);
  for (const n of report.notes) lines.push(n);
  lines.push(`chaos ${report.passed ? 'PASS' : 'FAIL'}`);
  return lines.join('\n');
}
