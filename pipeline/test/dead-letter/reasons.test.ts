/**
 * The dead-letter reason table: docs/dead-letters.md shows exactly the code's table, and the decode
 * and normalize stages raise only reasons of their own stage. Pure unit test (no stack).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from '../../src/dead-letter/reasons.ts';
import { projectRoot } from '../../src/config/project-root.ts';

const BEGIN = '<!-- dead-letter-reasons:begin (generated from pipeline/src/dead-letter/reasons.ts) -->';
const END = '<!-- dead-letter-reasons:end -->';

/** The Markdown table of the reasons, as docs/dead-letters.md must hold it between the markers. */
function reasonsTable(): string {
  const rows = (Object.entries(DEAD_LETTER_REASONS) as Array<[DeadLetterReason, (typeof DEAD_LETTER_REASONS)[DeadLetterReason]]>).map(
    ([code, r]) => `| \`${code}\` | ${r.stage} | ${r.meaning} | ${r.action} |`,
  );
  return ['| Reason | Stage | Meaning | What to do |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

describe('dead-letter reasons', () => {
  it('docs/dead-letters.md holds the table of pipeline/src/dead-letter/reasons.ts', () => {
    const doc = readFileSync(path.join(projectRoot, 'docs/dead-letters.md'), 'utf8');
    const begin = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(begin, `docs/dead-letters.md lacks the line ${BEGIN}`).toBeGreaterThanOrEqual(0);
    expect(end, `docs/dead-letters.md lacks the line ${END}`).toBeGreaterThan(begin);
    const shown = doc.slice(begin + BEGIN.length, end).trim();
    // On a difference: paste the expected table (the test output shows it) between the markers.
    expect(shown).toBe(reasonsTable());
  });

  it('no table cell contains a pipe (it would break the Markdown table)', () => {
    for (const [code, r] of Object.entries(DEAD_LETTER_REASONS)) {
      expect(`${code}${r.meaning}${r.action}`, code).not.toContain('|');
    }
  });
});
