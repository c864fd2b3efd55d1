/** A reconciliation report as text for people (`stocksync reconcile` without `--json`). */
import type { ReconcileReport } from './reconcile.ts';

const values = (v: { onHand: string; reserved: string; safetyStock: string | null } | null) =>
  v === null ? 'no row' : `on hand ${v.onHand}, reserved ${v.reserved}, safety stock ${v.safetyStock ?? 'none'}`;

/**
 * The report as lines: per source its read, counts and each difference with the source rows behind
 * it (at most `limit` per source), then each channel, then the totals.
 */
export function formatReport(report: ReconcileReport, limit = 50): string[] {
  const lines: string[] = [];
  for (const s of report.sources) {
    const rows = Object.entries(s.rowsRead)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    const outcomes = Object.entries(s.outcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    lines.push(`${s.source}: read at ${s.position} (${rows}); stock rows ${outcomes}; ${s.expectedKeys} expected keys, ${s.canonicalKeys} canonical keys`);
    lines.push(`  ${s.differences.length} difference(s), ${s.unsettled.length} unsettled`);
    for (const d of s.differences.slice(0, limit)) {
      lines.push(`  ${d.kind.padEnd(12)} ${d.sku} @ ${d.location}: source says ${values(d.expected)}; canonical ${values(d.actual)}`);
      for (const r of d.sourceRows)
        lines.push(`      source    ${r.table} ${r.rowKey}: ${r.role} ${r.quantity}${r.reserved !== '0' ? `, reserved ${r.reserved}` : ''}`);
      for (const r of d.canonicalRows)
        lines.push(`      canonical ${r.table} ${r.rowKey}: ${r.role} ${r.quantity}${r.reserved !== '0' ? `, reserved ${r.reserved}` : ''} (at ${r.position})`);
      const why = s.notRepairable[`${d.sku}\u001f${d.location}`];
      if (why) lines.push(`      not repairable by a snapshot: ${why}`);
    }
    if (s.differences.length > limit) lines.push(`  … ${s.differences.length - limit} more (--json for all)`);
    for (const u of s.unsettled.slice(0, 10)) lines.push(`  unsettled    ${u.sku} @ ${u.location}: ${u.reason}`);
    for (const r of s.rejected.slice(0, 10)) lines.push(`  rejected row ${r.table} ${r.rowKey}: ${r.reason}`);
    if (s.signals.length > 0)
      lines.push(
        `  repair: ${s.signals.length} execute-snapshot signal(s) ${s.signals.map((x) => x.id).join(', ')}; ${s.repaired.length} of ${s.differences.length} repaired`,
      );
  }
  for (const c of report.channels) {
    lines.push(
      `channel ${c.channel}: ${c.expectedRows} expected rows, ${c.channelRows} channel rows, ${c.differences.length} difference(s), ${c.unsettled} unsettled`,
    );
    for (const m of c.differences.slice(0, limit))
      lines.push(`  ${m.kind.padEnd(12)} ${m.sku}: expected ${JSON.stringify(m.expected)}, channel ${JSON.stringify(m.actual)}`);
    if (c.republished.length > 0) lines.push(`  repair: republished ${c.republished.length} SKU(s); ${c.repaired.length} repaired`);
  }
  lines.push(
    `run ${report.runId}: ${report.differences} difference(s), ${report.repairsRequested} repair(s) requested, ${report.repaired} repaired, ${report.unsettled} unsettled, ${((report.finishedAtMs - report.startedAtMs) / 1000).toFixed(1)} s`,
  );
  return lines;
}
