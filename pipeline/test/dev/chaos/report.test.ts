import { describe, expect, it } from 'vitest';
import { formatChaosReport, rowPassed, type ChaosReport, type ChaosRow } from '../../../dev/chaos/report.ts';

const row = (over: Partial<ChaosRow> = {}): ChaosRow => {
  const base: ChaosRow = {
    fault: 'kafka',
    action: 'kill',
    changesPerS: 1012,
    restartS: 21.4,
    recoveryS: 48.25,
    canonicalMismatches: 0,
    channelMismatches: 0,
    duplicates: 0,
    republished: 3,
    deadLetters: 0,
    restartedBySupervisor: 0,
    passed: true,
    operator: null,
    notes: [],
    ...over,
  };
  return { ...base, passed: over.passed ?? rowPassed(base) };
};

const report = (rows: ChaosRow[]): ChaosReport => ({
  rate: 1000,
  loadSeconds: 20,
  pauseSeconds: 25,
  machine: { cores: 2, loadAverage: { start: [1, 2, 3], end: [1.5, 2, 3] } },
  rows,
  passed: rows.every((r) => r.passed),
  notes: ['a note'],
});

describe('rowPassed', () => {
  it('passes a recovered fault with no mismatch, duplicate or dead letter; republished records do not fail it', () => {
    expect(rowPassed(row())).toBe(true);
  });

  it.each([
    ['not recovered', { recoveryS: null }],
    ['a canonical mismatch', { canonicalMismatches: 1 }],
    ['a channel mismatch', { channelMismatches: 2 }],
    ['a version applied twice', { duplicates: 1 }],
    ['a dead letter', { deadLetters: 1 }],
  ] as const)('fails on %s', (_, over) => {
    expect(rowPassed(row(over))).toBe(false);
  });
});

describe('formatChaosReport', () => {
  it('prints one table row per fault with its figures, then the notes and the verdict', () => {
    const text = formatChaosReport(
      report([
        row(),
        row({ fault: 'canonical-pause', action: 'pause', changesPerS: 640, recoveryS: null, operator: 'start it | again', notes: ['not caught up'] }),
      ]),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      '| fault | action | load changes/s | restart s | recovery s | canonical mismatches | channel mismatches | duplicates | republished | dead letters | supervisor restarts | result | operator |',
    );
    expect(lines[2]).toBe('| kafka | kill -9 | 1012 | 21.4 | 48.3 | 0 | 0 | 0 | 3 | 0 | 0 | PASS | - |');
    expect(lines[3]).toBe('| canonical-pause | SIGSTOP | 640 | 21.4 | NOT RECOVERED | 0 | 0 | 0 | 3 | 0 | 0 | FAIL | start it \\| again |');
    expect(text).toContain('target 1000 source changes/s, 20 s of load per fault, pauses 25 s; 2 cores, load average 1 2 3 -> 1.5 2 3');
    expect(text).toContain('canonical-pause: not caught up');
    expect(text).toContain('load reached 640–1012 source changes/s (median 640) of the 1000 asked for; 1 of 2 rows below the target');
    expect(lines.at(-2)).toBe('a note');
    expect(lines.at(-1)).toBe('chaos FAIL');
  });

  it('says PASS when every row passed', () => {
    expect(
      formatChaosReport(report([row()]))
        .split('\n')
        .at(-1),
    ).toBe('chaos PASS');
  });
});
