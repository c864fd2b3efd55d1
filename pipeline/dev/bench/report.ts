/**
 * What every bench part hands back ({@link BenchPart}) and how it is printed: one table per part,
 * the figures down the side and the rows (tools, phases) across, so parts with different figures
 * per row still print as one table.
 */
import os from 'node:os';

/** A figure: a number (its unit is in its name, e.g. `records/s`, `CPU s per 10k records`), a text, or null when not measured. */
export type Figure = number | string | null;

/** The machine a part ran on: core count and the 1, 5 and 15 minute load averages when it started and ended. */
export interface BenchMachine {
  cores: number;
  loadAverage: { start: [number, number, number]; end: [number, number, number] };
}

/** One measured thing (a tool, a phase) and its figures by name. */
export interface BenchRow {
  label: string;
  figures: Record<string, Figure>;
}

/** The result of one bench part. */
export interface BenchPart {
  /** Part name, e.g. `throughput`. */
  part: string;
  machine: BenchMachine;
  rows: BenchRow[];
  /** Quotients of figures of different rows, e.g. `stocksync/jdbc-sink records/s`. */
  ratios?: Record<string, number>;
  /** False when a check failed (oracle mismatch) or a tool failed. */
  passed: boolean;
  /** Sizes, what was measured how, and why a part failed. */
  notes: string[];
}

const loadAverage = (): [number, number, number] => {
  const [one, five, fifteen] = os.loadavg();
  return [round(one ?? 0, 2), round(five ?? 0, 2), round(fifteen ?? 0, 2)];
};

/** Starts recording the machine for a part; call the returned function when the part ends. */
export function machineRecorder(): () => BenchMachine {
  const start = loadAverage();
  return () => ({ cores: os.cpus().length, loadAverage: { start, end: loadAverage() } });
}

/** `value` rounded to `digits` decimals (for figures; keeps JSON readable). */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `numerator / denominator` rounded, or null when either is missing or the denominator is 0. */
export function quotient(numerator: number | null | undefined, denominator: number | null | undefined, digits = 1): number | null {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined || denominator === 0) return null;
  return round(numerator / denominator, digits);
}

const cell = (value: Figure | undefined): string => (value === null || value === undefined ? '-' : typeof value === 'number' ? String(value) : value);

/** The part as a text table: a title line, figures × rows, the ratios, the machine and the notes. */
export function formatPart(part: BenchPart): string {
  const labels = part.rows.map((r) => r.label);
  const names: string[] = [];
  for (const row of part.rows) for (const name of Object.keys(row.figures)) if (!names.includes(name)) names.push(name);
  const widths = labels.map((label, i) => Math.max(label.length, ...names.map((name) => cell(part.rows[i]!.figures[name]).length)));
  const nameWidth = Math.max(6, ...names.map((n) => n.length));
  const line = (first: string, cells: string[]) => `  ${first.padEnd(nameWidth)}  ${cells.map((c, i) => c.padStart(widths[i]!)).join('  ')}`.trimEnd();
  const m = part.machine;
  return [
    `bench ${part.part} — ${part.passed ? 'PASS' : 'FAIL'}`,
    line('', labels),
    ...names.map((name) =>
      line(
        name,
        part.rows.map((r) => cell(r.figures[name])),
      ),
    ),
    ...Object.entries(part.ratios ?? {}).map(([name, value]) => `  ratio ${name}: ${value}`),
    `  machine: ${m.cores} cores, load average ${m.loadAverage.start.join(' ')} at start, ${m.loadAverage.end.join(' ')} at end`,
    ...part.notes.map((note) => `  note: ${note}`),
  ].join('\n');
}
